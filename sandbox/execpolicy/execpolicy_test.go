package execpolicy

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/bad_match.toml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file, data, want string
	}{
		{"failing match example", "testdata/bad_match.toml", string(data), `testdata/bad_match.toml:7: rule ["git" "push"]: match example ["git" "pull"] does not match`},
		{"not_match that matches", "x.toml", "[[rule]]\nprefix=[\"ls\"]\ndecision=\"allow\"\nnot_match=[[\"ls\",\"-l\"]]\n", `x.toml:1: rule ["ls"]: not_match example ["ls" "-l"] matches`},
		{"bad decision", "y.toml", "\n\n[[rule]]\nprefix=[\"ls\"]\ndecision=\"maybe\"\n", `y.toml:3: rule ["ls"]: unknown decision "maybe"`},
		{"empty prefix", "z.toml", "[[rule]]\ndecision=\"allow\"\n", "z.toml:1: rule has an empty prefix"},
		{"syntax", "s.toml", "[[rule]]\nprefix = [\"a\"\n", "s.toml:2:"},
		{"unknown key", "u.toml", "[[rule]]\nprefix=[\"a\"]\ndecision=\"allow\"\nwhen=1\n", `unknown key "rule.when"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.data), c.file)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestDefaultCheck(t *testing.T) {
	p := Default()
	cases := []struct {
		argv []string
		want Kind
	}{
		{[]string{"git", "push", "origin", "main"}, Forbidden},
		{[]string{"/usr/bin/git", "commit", "-m", "x"}, Forbidden},
		{[]string{"git", "branch", "-D", "x"}, Forbidden},
		{[]string{"git", "branch"}, Unmatched},
		{[]string{"git", "status"}, Allow},
		{[]string{"git", "pushx"}, Unmatched},
		{[]string{"rm", "-rf", "/"}, Prompt},
		{[]string{"rm", "file"}, Unmatched},
		{[]string{"go", "test", "./..."}, Allow},
		{[]string{"GOFLAGS=-v", "go", "build"}, Allow},
		{[]string{"env", "A=1", "git", "push"}, Forbidden},
		{[]string{"curl", "https://example.com"}, Prompt},
		{[]string{"sudo", "ls"}, Forbidden},
		{[]string{"bash", "-c", "go build ./... && go test ./... | tail -5"}, Allow},
		{[]string{"sh", "-c", "go test ./... && git push"}, Forbidden},
		{[]string{"bash", "-lc", "ls; rm -rf build"}, Prompt},
		{[]string{"sh", "-c", "echo 'a && git push'"}, Allow},
		{[]string{"sh", "-c", "echo \"$(git push)\""}, Prompt},
		{[]string{"sh", "-c", "ls `pwd`"}, Prompt},
		{[]string{"sh", "-c", "(cd x && ls)"}, Prompt},
		{[]string{"sh", "-c", "go test ./... > out.txt 2>&1"}, Allow},
		{[]string{"sh", "-c", "cat <<EOF\nx\nEOF"}, Prompt},
		{[]string{"sh", "-c", "ls\nmake"}, Unmatched},
		{[]string{"sh", "-c", "ls || curl x"}, Prompt},
		{[]string{"sh", "-c", "ls & git reset --hard"}, Forbidden},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.argv, " "), func(t *testing.T) {
			d := p.Check(c.argv)
			if d.Decision != c.want {
				t.Fatalf("Check = %v (%s), want %v", d.Decision, Format(d), c.want)
			}
		})
	}
}

func TestSplitScript(t *testing.T) {
	cases := []struct {
		script  string
		want    string
		complex bool
	}{
		{"a && b | c", "a|b|c", false},
		{"a 'b c' \"d e\" f\\ g", "a,b c,d e,f g", false},
		{"a; b\nc || d & e", "a|b|c|d|e", false},
		{"a > f 2>&1 < in", "a", false},
		{"X=1 a # comment && b\nc", "X=1,a|c", false},
		{"a $(b)", "a,$(b)", true},
		{"(a)", "a", true},
	}
	for _, c := range cases {
		t.Run(c.script, func(t *testing.T) {
			cmds, reason := splitScript(c.script)
			var parts []string
			for _, cmd := range cmds {
				parts = append(parts, strings.Join(cmd, ","))
			}
			if got := strings.Join(parts, "|"); got != c.want || (reason != "") != c.complex {
				t.Fatalf("got %q complex=%q, want %q complex=%v", got, reason, c.want, c.complex)
			}
		})
	}
}

func TestStrictestWinsAndAddRule(t *testing.T) {
	data, err := os.ReadFile("testdata/custom.toml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data, "custom.toml")
	if err != nil {
		t.Fatal(err)
	}
	d := p.Check([]string{"make", "deploy", "prod"})
	if d.Decision != Forbidden || d.Rule.Where() != "custom.toml:6" {
		t.Fatalf("got %s", Format(d))
	}
	if got := Format(d); got != `forbidden (rule custom.toml:6: prefix ["make" "deploy"]): deploys are for humans` {
		t.Fatalf("Format = %q", got)
	}
	if d := p.Check([]string{"make", "test"}); d.Decision != Allow {
		t.Fatalf("make test: %s", Format(d))
	}
	if d := p.Check([]string{"npm", "ci"}); d.Or(Prompt) != Prompt || Format(d) != "unmatched: no rule applies; the approval policy decides" {
		t.Fatalf("npm ci: %s", Format(d))
	}
	p.AddRule([]string{"npm", "ci"}, Allow)
	if d := p.Check([]string{"npm", "ci"}); d.Decision != Allow || d.Rule.File != "<runtime>" {
		t.Fatalf("after AddRule: %s", Format(d))
	}
	m := Default().Merge(p)
	if d := m.Check([]string{"make", "deploy"}); d.Decision != Forbidden {
		t.Fatalf("merged: %s", Format(d))
	}
}
