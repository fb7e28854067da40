package sandbox

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func ruleFor(rs Ruleset, path string) (PathRule, bool) {
	for _, r := range rs.Paths {
		if r.Path == path {
			return r, true
		}
	}
	return PathRule{}, false
}

func TestRulesPure(t *testing.T) {
	base := Policy{Workdir: "/w/agent1", PrivateDir: "/p/agent1", EnvAllow: []string{"PATH", "LANG", "OPENAI_API_KEY", "GITHUB_TOKEN"}}
	environ := []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=/root", "OPENAI_API_KEY=sk", "GITHUB_TOKEN=t", "TERM=xterm"}
	type check struct {
		path   string
		access Access
		absent bool
	}
	cases := []struct {
		name   string
		edit   func(p *Policy)
		checks []check
		netns  bool
	}{
		{"workspace write", nil, []check{
			{path: "/w/agent1", access: AccessReadWrite},
			{path: "/p/agent1", access: AccessReadWrite},
			{path: "/usr", access: AccessRead},
			{path: "/etc", access: AccessRead},
			{path: "/go", access: AccessRead},
			{path: "/dev/null", access: AccessRead | AccessWriteFile | AccessTruncate},
			{path: "/tmp", access: AccessReadWrite}, // the private tmp shown at /tmp
			{path: "/root", absent: true},
			{path: "/run", absent: true},
			{path: "/var/run", absent: true},
			{path: "/home", absent: true},
		}, true},
		{"read only", func(p *Policy) { p.Mode = ReadOnly; p.Writable = []string{"/extra"} }, []check{
			{path: "/w/agent1", access: AccessRead},
			{path: "/p/agent1", access: AccessReadWrite},
			{path: "/extra", absent: true},
		}, true},
		{"write lease", func(p *Policy) { p.WriteLease = []string{"/w/agent1/pkg"} }, []check{
			{path: "/w/agent1", access: AccessRead},
			{path: "/w/agent1/pkg", access: AccessReadWrite},
		}, true},
		{"extra roots and host network", func(p *Policy) {
			p.Writable = []string{"/shared/out"}
			p.Readable = []string{"/repo/.git"}
			p.Network = NetHost
		}, []check{
			{path: "/shared/out", access: AccessReadWrite},
			{path: "/repo/.git", access: AccessRead},
		}, false},
		{"worktree below /tmp", func(p *Policy) { p.Workdir = "/tmp/x/w" }, []check{
			{path: "/tmp", absent: true},
			{path: "/tmp/x/w", access: AccessReadWrite},
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := base
			if c.edit != nil {
				c.edit(&p)
			}
			rs, err := rules(p, environ, "/go")
			if err != nil {
				t.Fatal(err)
			}
			if !rs.Confined || !rs.Namespaces.User || !rs.Namespaces.PID || !rs.Namespaces.Mount || rs.Namespaces.Net != c.netns {
				t.Fatalf("namespaces %+v confined=%v", rs.Namespaces, rs.Confined)
			}
			if rs.RequireScope == c.netns {
				t.Fatalf("RequireScope=%v with netns=%v", rs.RequireScope, c.netns)
			}
			for _, ch := range c.checks {
				r, ok := ruleFor(rs, ch.path)
				if ch.absent {
					if ok {
						t.Errorf("%s must not be a root: %+v", ch.path, r)
					}
					continue
				}
				if !ok || r.Access != ch.access {
					t.Errorf("%s: got %v (present %v), want %v", ch.path, r.Access, ok, ch.access)
				}
			}
			env := strings.Join(rs.Env, "\n")
			for _, bad := range []string{"OPENAI_API_KEY", "GITHUB_TOKEN", "TERM=", "HOME=/root"} {
				if strings.Contains(env, bad) {
					t.Errorf("env holds %s", bad)
				}
			}
			for _, want := range []string{"HOME=/p/agent1/home", "TMPDIR=/p/agent1/tmp", "GOCACHE=/p/agent1/cache/go-build", "GOPROXY=off", "GOTOOLCHAIN=local", "LANG=C.UTF-8", "PATH=/go/bin:/usr/bin:/bin"} {
				if !slices.Contains(rs.Env, want) {
					t.Errorf("env lacks %s", want)
				}
			}
			var names []string
			for _, l := range rs.Rlimits {
				names = append(names, l.Name)
				if l.Name == "RLIMIT_CORE" && l.Value != 0 {
					t.Error("core dumps allowed")
				}
			}
			if got := strings.Join(names, ","); got != "RLIMIT_CPU,RLIMIT_AS,RLIMIT_NPROC,RLIMIT_FSIZE,RLIMIT_CORE" {
				t.Errorf("rlimits %s", got)
			}
			again, _ := rules(p, environ, "/go")
			if again.String() != rs.String() {
				t.Error("Rules is not deterministic")
			}
		})
	}
}

func TestRulesUnconfinedAndInvalid(t *testing.T) {
	rs, err := rules(Policy{Mode: DangerFullAccess, Workdir: "/w", PrivateDir: "/p"}, nil, "")
	if err != nil || rs.Confined || len(rs.Paths) != 0 {
		t.Fatalf("danger: %+v %v", rs, err)
	}
	for _, p := range []Policy{
		{Workdir: "rel", PrivateDir: "/p"},
		{Workdir: "/w", PrivateDir: ""},
		{Workdir: "/w", PrivateDir: "/p", Readable: []string{"x"}},
		{Workdir: "/w", PrivateDir: "/p", WriteLease: []string{"/elsewhere"}},
		{Workdir: "/w", PrivateDir: "/p", Mode: Mode(9)},
	} {
		if _, err := rules(p, nil, ""); !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("%+v: err = %v, want ErrInvalidPolicy", p, err)
		}
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"OPENAI_API_KEY": true, "GITHUB_TOKEN": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_REGION": true,
		"SSH_AUTH_SOCK": true, "DB_SECRET_X": true, "GITHUB_ACTIONS": true, "PATH": false, "GOFLAGS": false, "TOKENIZER": false,
	} {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%s) = %v", name, got)
		}
	}
}

func TestCapture(t *testing.T) {
	cases := []struct {
		in        string
		max       int
		want      string
		truncated bool
	}{
		{"hello", 10, "hello", false},
		{"hello", 5, "hello", false},
		{"hello world", 5, "hello\n[cadre: output truncated after 5 bytes]\n", true},
	}
	for _, c := range cases {
		res := capture(strings.NewReader(c.in), c.max).result()
		if string(res.Output) != c.want || res.Truncated != c.truncated {
			t.Errorf("capture(%q, %d) = %q %v", c.in, c.max, res.Output, res.Truncated)
		}
	}
}
