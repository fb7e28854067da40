package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// st builds a subtask: id, description, writes; deps after "<-".
func st(id string, writes []string, deps ...string) Subtask {
	return Subtask{ID: id, Description: "do " + id, Writes: writes, DependsOn: deps}
}

func w(globs ...string) []string { return globs }

func TestValidateOK(t *testing.T) {
	plans := []Plan{
		{Subtasks: []Subtask{st("api", w("pkg/api/**"))}},
		{Subtasks: []Subtask{
			st("api", w("pkg/api/**", "go.mod")),
			st("cli", w("pkg/cli/*.go", "cmd/cadre/**"), "api"),
			st("docs", w("docs/**"), "api", "cli"),
		}},
		// Two shared subtasks may overlap.
		{Subtasks: []Subtask{
			{ID: "a", Description: "x", Writes: w("go.sum", "pkg/a/**"), Shared: true},
			{ID: "b", Description: "y", Writes: w("go.sum", "pkg/b/**"), Shared: true},
		}},
		// Overlap within one subtask's lease is fine.
		{Subtasks: []Subtask{st("a", w("pkg/**", "pkg/a.go"))}},
		// Ids at the edges of the pattern.
		{Subtasks: []Subtask{st("a", w("a")), st("a_b-9", w("b")), st(strings.Repeat("z", 32), w("c"))}},
	}
	for i, p := range plans {
		if err := Validate(p); err != nil {
			t.Errorf("plan %d: %v", i, err)
		}
	}
}

func TestValidateProblems(t *testing.T) {
	tests := []struct {
		name string
		plan Plan
		want []string // exactly these problems, in this order
	}{
		{"empty", Plan{}, []string{"the plan has no subtasks"}},
		{"duplicate", Plan{Subtasks: []Subtask{st("a", w("x")), st("b", w("y")), st("a", w("z"))}},
			[]string{`duplicate id "a" (subtasks #1 and #3)`}},
		{"bad ids", Plan{Subtasks: []Subtask{st("Api", w("x")), st("", w("y")), st("9a", w("z")), st(strings.Repeat("a", 33), w("v")), st("a.b", w("u"))}},
			[]string{
				`subtask "Api": bad id "Api": use 1 to 32 of a-z, 0-9, _ and -, starting with a letter`,
				`subtask #2: bad id "": use 1 to 32 of a-z, 0-9, _ and -, starting with a letter`,
				`subtask "9a": bad id "9a": use 1 to 32 of a-z, 0-9, _ and -, starting with a letter`,
				`subtask "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": bad id "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": use 1 to 32 of a-z, 0-9, _ and -, starting with a letter`,
				`subtask "a.b": bad id "a.b": use 1 to 32 of a-z, 0-9, _ and -, starting with a letter`,
			}},
		{"unknown and self", Plan{Subtasks: []Subtask{st("a", w("x"), "a", "db")}},
			[]string{`subtask "a": depends on itself`, `subtask "a": depends on unknown subtask "db"`}},
		{"empty description and writes", Plan{Subtasks: []Subtask{{ID: "a", Description: " \n"}}},
			[]string{`subtask "a": empty description`, `subtask "a": no writes; list the paths it may change as globs, e.g. "pkg/cli/**"`}},
		{"globs", Plan{Subtasks: []Subtask{st("a", w("/etc/x", "../x", "a/../../b", "a/[b", "a/**.go", "a//b", "", "a/[.]"))}},
			[]string{
				`subtask "a": glob "/etc/x" is absolute; write a path relative to the repository root`,
				`subtask "a": glob "../x" contains ".."; leases stay inside the repository`,
				`subtask "a": glob "a/../../b" contains ".."; leases stay inside the repository`,
				`subtask "a": glob "a/[b" has an unclosed "["`,
				`subtask "a": glob "a/**.go" has "**" inside segment "**.go"; "**" must be a whole segment, as in "a/**/b"`,
				`subtask "a": glob "a//b" has an empty segment ("//" or a trailing "/")`,
				`subtask "a": glob "" is empty`,
				`subtask "a": glob "a/[.]" matches no path`,
			}},
		{"two-cycle", Plan{Subtasks: []Subtask{st("a", w("x"), "b"), st("b", w("y"), "a")}},
			[]string{"cycle: a -> b -> a"}},
		{"cycles", Plan{Subtasks: []Subtask{
			st("x", w("x")),
			st("a", w("a"), "x", "b"),
			st("b", w("b"), "c"),
			st("c", w("c"), "a", "b"),
			st("d", w("d"), "e"),
			st("e", w("e"), "f"),
			st("f", w("f"), "d"),
		}}, []string{"cycle: a -> b -> c -> a", "cycle: d -> e -> f -> d"}},
		{"overlaps", Plan{Subtasks: []Subtask{
			st("api", w("pkg/**", "go.mod")),
			st("cli", w("pkg/cli/*.go")),
			{ID: "docs", Description: "d", Writes: w("docs/**", "go.mod"), Shared: true},
			{ID: "notes", Description: "n", Writes: w("docs/notes/*"), Shared: true},
		}}, []string{
			`leases overlap: "api" writes "pkg/**" and "cli" writes "pkg/cli/*.go" (both match "pkg/cli/x.go")`,
			`leases overlap: "api" writes "go.mod" and "docs" (shared) writes "go.mod" (both match "go.mod")`,
		}},
		{"everything at once", Plan{Subtasks: []Subtask{
			{ID: "A", Writes: w("/x")},
			st("b", w("src/**"), "b", "c", "zz"),
			st("c", w("src/*.go"), "b"),
		}}, []string{
			`subtask "A": bad id "A": use 1 to 32 of a-z, 0-9, _ and -, starting with a letter`,
			`subtask "A": empty description`,
			`subtask "A": glob "/x" is absolute; write a path relative to the repository root`,
			`subtask "b": depends on itself`,
			`subtask "b": depends on unknown subtask "zz"`,
			"cycle: b -> c -> b",
			`leases overlap: "b" writes "src/**" and "c" writes "src/*.go" (both match "src/x.go")`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.plan)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("err is %T", err)
			}
			if !slices.Equal(ie.Problems, tt.want) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(ie.Problems, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, p := range tt.want {
				if !strings.Contains(err.Error(), p) {
					t.Fatalf("error text %q lacks %q", err, p)
				}
			}
		})
	}
}

func TestInvalidErrorText(t *testing.T) {
	one := &InvalidError{Problems: []string{"cycle: a -> b -> a"}}
	if got := one.Error(); got != "invalid plan: cycle: a -> b -> a" {
		t.Errorf("one problem: %q", got)
	}
	two := &InvalidError{Problems: []string{"p1", "p2"}}
	if got := two.Error(); got != "invalid plan (2 problems):\n  p1\n  p2" {
		t.Errorf("two problems: %q", got)
	}
}

// A plan of many subtasks with many globs validates quickly enough to be
// checked on every plan a model sends.
func TestValidateLargePlan(t *testing.T) {
	var p Plan
	for i := range 40 {
		id := fmt.Sprintf("t%d", i)
		p.Subtasks = append(p.Subtasks, st(id, w(
			fmt.Sprintf("pkg/m%d/**", i),
			fmt.Sprintf("cmd/m%d/*_test.go", i),
			fmt.Sprintf("docs/m%d/[a-z]*.md", i),
			fmt.Sprintf("internal/**/m%d_*.go", i),
		)))
	}
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkValidate(b *testing.B) {
	var p Plan
	for i := range 20 {
		p.Subtasks = append(p.Subtasks, st(fmt.Sprintf("t%d", i), w(fmt.Sprintf("pkg/m%d/**", i), fmt.Sprintf("internal/**/m%d_*.go", i))))
	}
	for b.Loop() {
		if err := Validate(p); err != nil {
			b.Fatal(err)
		}
	}
}
