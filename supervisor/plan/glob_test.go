package plan

import (
	"path"
	"slices"
	"strings"
	"testing"
)

func TestCheckGlob(t *testing.T) {
	tests := []struct {
		glob    string
		errPart string // "" for valid
	}{
		{"pkg/cli/*.go", ""},
		{"**", ""},
		{"**/x.go", ""},
		{"a/**/b/**", ""},
		{"docs/README.md", ""},
		{"a/[a-z]?[!0-9]/[^.]*", ""},
		{"a]b", ""},
		{"a-b/[-a]/[a-]", ""},
		{".github/workflows/*.yml", ""},
		{"", "is empty"},
		{"/etc/passwd", "is absolute"},
		{"../x", `contains ".."`},
		{"a/../b", `contains ".."`},
		{"a/..", `contains ".."`},
		{"a//b", "empty segment"},
		{"a/", "empty segment"},
		{"./a", `"." segment`},
		{"a/**.go", `"**" must be a whole segment`},
		{"a/***", `"**" must be a whole segment`},
		{"a/x**", `"**" must be a whole segment`},
		{"a/[ab", `unclosed "["`},
		{"a/[!", `unclosed "["`},
		{"a/[]", `empty class`},
		{"a/[!]", `empty class`},
		{"a/[z-a]", `reversed range "z-a"`},
		{`a\b`, `contains "\"`},
		{" a", "leading or trailing spaces"},
		{"a ", "leading or trailing spaces"},
		{"a\x00", "NUL"},
		{"a\xff", "UTF-8"},
	}
	for _, tt := range tests {
		err := CheckGlob(tt.glob)
		if tt.errPart == "" {
			if err != nil {
				t.Errorf("CheckGlob(%q) = %v", tt.glob, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.errPart) {
			t.Errorf("CheckGlob(%q) = %v, want an error containing %q", tt.glob, err, tt.errPart)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		globs []string
		path  string
		want  bool
	}{
		{[]string{"pkg/cli/*.go"}, "pkg/cli/main.go", true},
		{[]string{"pkg/cli/*.go"}, "pkg/cli/.go", true},
		{[]string{"pkg/cli/*.go"}, "pkg/cli/sub/main.go", false},
		{[]string{"pkg/cli/*.go"}, "pkg/cli/main.go.orig", false},
		{[]string{"pkg/**"}, "pkg/a/b/c.go", true},
		{[]string{"pkg/**"}, "pkg", true}, // "**" matches zero segments
		{[]string{"pkg/**"}, "pkgx/a", false},
		{[]string{"**/x.go"}, "x.go", true},
		{[]string{"**/x.go"}, "a/b/x.go", true},
		{[]string{"**/x.go"}, "a/b/y.go", false},
		{[]string{"a/**/b"}, "a/b", true},
		{[]string{"a/**/b"}, "a/x/y/b", true},
		{[]string{"a/**/b"}, "a/x/y/c", false},
		{[]string{"**"}, "anything/at/all", true},
		{[]string{"*"}, ".hidden", true},
		{[]string{"*"}, "a/b", false},
		{[]string{"a?c"}, "abc", true},
		{[]string{"a?c"}, "ac", false},
		{[]string{"a?c"}, "aéc", true}, // ? is one character, not one byte
		{[]string{"[a-c]x"}, "bx", true},
		{[]string{"[a-c]x"}, "dx", false},
		{[]string{"[!a-c]x"}, "dx", true},
		{[]string{"[^a-c]x"}, "ax", false},
		{[]string{"a]"}, "a]", true},
		{[]string{"docs/README.md"}, "docs/README.md", true},
		{[]string{"docs/README.md"}, "docs/readme.md", false},
		{[]string{"x", "docs/*"}, "docs/a", true},
		{[]string{"x", "[bad"}, "[bad", false}, // an invalid glob matches nothing
		{nil, "a", false},
		// Paths that are not clean repo-relative paths never match.
		{[]string{"**"}, "", false},
		{[]string{"**"}, "/etc/passwd", false},
		{[]string{"**"}, "../x", false},
		{[]string{"**"}, "a/../../x", false},
		{[]string{"**"}, "a/..", false},
		{[]string{"**"}, "./a", false},
		{[]string{"**"}, "a//b", false},
		{[]string{"**"}, "a/", false},
		{[]string{"*/*"}, "a/.", false},
	}
	for _, tt := range tests {
		if got := Match(tt.globs, tt.path); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.globs, tt.path, got, tt.want)
		}
	}
}

// Match agrees with path.Match on globs without "**" and without "!"
// classes, which path.Match does not know.
func TestMatchAgreesWithPathMatch(t *testing.T) {
	globs := []string{"*", "a*", "*.go", "a?", "[ab]*", "[^a]*", "a/*", "*/b", "?/?", "[a-c]/[^b]x", "a]", "*a*b*"}
	paths := []string{"a", "b", "ab", "ba", "a.go", ".go", "a/b", "b/b", "c/ax", "c/bx", "a]", "xaxbx", "é", "aé"}
	for _, g := range globs {
		for _, p := range paths {
			want, err := path.Match(g, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := Match([]string{g}, p); got != want {
				t.Errorf("Match(%q, %q) = %v, path.Match says %v", g, p, got, want)
			}
		}
	}
}

func TestLeaseDirs(t *testing.T) {
	tests := []struct {
		globs []string
		want  []string
	}{
		{[]string{"pkg/cli/*.go"}, []string{"pkg/cli"}},
		{[]string{"**/x.go"}, []string{""}},
		{[]string{"docs/README.md"}, []string{"docs"}},
		{[]string{"go.mod"}, []string{""}},
		{[]string{"pkg/**"}, []string{"pkg"}},
		{[]string{"pkg/*/x.go"}, []string{"pkg"}},
		{[]string{"pkg/a[bc]/x.go"}, []string{"pkg"}},
		{[]string{"pkg/cli/*.go", "pkg/cli/x/y.go", "pkg/**"}, []string{"pkg"}},
		{[]string{"b/x", "a/x", "a/y", "a-b/x"}, []string{"a", "a-b", "b"}},
		{[]string{"a/b/c/*", "a-b/x", "a/x"}, []string{"a", "a-b"}},
		{[]string{"a/*", "go.mod"}, []string{""}},
		{[]string{"[bad", "ok/x"}, []string{"ok"}},
		{nil, nil},
	}
	for _, tt := range tests {
		if got := LeaseDirs(tt.globs); !slices.Equal(got, tt.want) {
			t.Errorf("LeaseDirs(%q) = %q, want %q", tt.globs, got, tt.want)
		}
	}
}

func TestOverlap(t *testing.T) {
	tests := []struct {
		a, b    string
		want    bool
		example string // checked when not ""
	}{
		{"pkg/**", "pkg/cli/*.go", true, "pkg/cli/x.go"},
		{"pkg/api/**", "pkg/cli/**", false, ""},
		{"**/x.go", "*.go", true, "x.go"},
		{"**", "a", true, "a"},
		{"a/**", "a/**", true, "a/x"},
		{"a/**", "b/**", false, ""},
		{"*.go", "*_test.go", true, "x_test.go"},
		{"*.go", "*.md", false, ""},
		{"a*", "*b", true, ""},
		{"a*", "b*", false, ""},
		{"[a-c]", "[c-e]", true, "c"},
		{"[a-c]", "[d-e]", false, ""},
		{"[!a]", "a", false, ""},
		{"[!a]", "?", true, ""},
		{"?.", ".?", false, ""}, // only ".." would match both, and it is no name
		{"?", "[.]", false, ""}, // "." is no name
		{"*", "[.]", false, ""},
		{"*", "[.][.][.]", true, "..."},
		{"a/**/b", "a/b", true, "a/b"},
		{"a/**/b", "a/*/c", false, ""},
		{"a/**/b/**", "**/b/c", true, "a/b/c"},
		{"**/a/**", "**/b/**", true, ""},
		{"x/**/a", "**/b", false, ""},
		{"*/*/*", "**/a", true, ""},
		{"*/*", "*", false, ""},
		{"**/*/*", "*", false, ""},
		{"a/é*", "a/?", true, "a/é"},
		{"a/[^é]", "a/é", false, ""},
		{"docs/README.md", "docs/README.md", true, "docs/README.md"},
		{"docs/README.md", "docs/*.md", true, "docs/README.md"},
	}
	for _, tt := range tests {
		for _, swap := range []bool{false, true} {
			a, b := tt.a, tt.b
			if swap {
				a, b = b, a
			}
			ex, ok, err := Overlap(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.want {
				t.Errorf("Overlap(%q, %q) = %v (%q), want %v", a, b, ok, ex, tt.want)
				continue
			}
			if ok && (!Match([]string{a}, ex) || !Match([]string{b}, ex)) {
				t.Errorf("Overlap(%q, %q) example %q is not matched by both", a, b, ex)
			}
			if ok && tt.example != "" && !swap && ex != tt.example {
				t.Errorf("Overlap(%q, %q) example = %q, want %q", a, b, ex, tt.example)
			}
		}
	}
	if _, _, err := Overlap("a", "/b"); err == nil {
		t.Error("Overlap accepted an absolute glob")
	}
}
