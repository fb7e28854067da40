package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cadre-dev/cadre/cmd/cadre/config"
	"github.com/cadre-dev/cadre/messaging"
)

func TestTeamFiles(t *testing.T) {
	repo := t.TempDir()
	dir := filepath.Join(repo, ".cadre", "teams")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name+".toml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("secure", `description = "coders and a security reviewer"
lead = "planner"
[roles.coder]
count = 2
max_turns = 30
[roles.security]
base = "reviewer"
instructions = "Review for security problems only."
`)
	write("typo", "lead = \"planner\"\n[roles.coder]\ncuont = 2\n")
	write("badpolicy", "lead = \"planner\"\napproval_policy = \"sometimes\"\n")
	write("nolead", "lead = \"boss\"\n")
	write("badtool", "lead = \"planner\"\n[roles.coder]\ntools = [\"teleport\"]\n")
	noEnv := func(string) string { return "" }

	tm, err := loadTeam("secure", repo, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := tm.roles(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	coder, _ := rs.Lookup("coder")
	sec, err := rs.Lookup("security")
	if err != nil || coder.Max != 2 || coder.MaxTurns != 30 || sec.Instructions != "Review for security problems only." || strings.Join(sec.Tools, ",") != "read_file,list_files,search,review,wait" {
		t.Errorf("coder %+v, security %+v, %v", coder, sec, err)
	}
	// The configuration's roles override the team's.
	cfg := config.Default()
	cfg.Roles = map[string]config.Role{"coder": {Instructions: "be brief", MaxTurns: 10}}
	rs, err = tm.roles(cfg)
	if c, _ := rs.Lookup("coder"); err != nil || c.Instructions != "be brief" || c.MaxTurns != 10 || c.Max != 2 {
		t.Errorf("config over team: %+v, %v", c, err)
	}

	for name, want := range map[string]string{
		"typo":      `unknown key "roles.coder.cuont"`,
		"badtool":   `unknown tool "teleport"`,
		"nolead":    `lead: unknown role "boss"`,
		"badpolicy": `approval_policy`,
		"missing":   "built-in teams are default, review",
	} {
		tm, err := loadTeam(name, repo, noEnv)
		if err == nil {
			_, err = tm.roles(config.Default())
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("team %s: %v, want it to say %q", name, err, want)
		}
		if name == "missing" && !errors.Is(err, ErrNoTeam) {
			t.Errorf("missing team: %v is not ErrNoTeam", err)
		}
	}
}

// A team's policies apply unless the configuration or a flag sets one.
func TestTeamPolicies(t *testing.T) {
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	dir := filepath.Join(repo, ".cadre", "teams")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "careful.toml"), []byte("lead = \"planner\"\napproval_policy = \"untrusted\"\nrules = \"careful-rules.toml\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "careful-rules.toml"), []byte("[[rule]]\nprefix = [\"curl\"]\ndecision = \"forbidden\"\nreason = \"no downloads in this team\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	o := &RunOptions{IO: IOStreams{Out: io.Discard, ErrOut: &stderr}, Getenv: func(string) string { return "" }, Repo: repo, Team: "careful", Task: "t"}
	spec, err := o.spec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.ApprovalPolicy != "untrusted" || spec.Team != "careful" {
		t.Errorf("approval policy %q, team %q", spec.ApprovalPolicy, spec.Team)
	}
	if d := spec.Rules.Check([]string{"curl", "https://example.com"}); d.Reason != "no downloads in this team" {
		t.Errorf("the team's rule does not apply: %+v", d)
	}
	if d := spec.Rules.Check([]string{"git", "push", "origin", "main"}); d.Rule == nil {
		t.Error("the shipped rules were dropped")
	}
	// A flag wins over the team.
	o.Approval, o.flagChanged = "never", func(name string) bool { return name == "approval-policy" }
	if spec, err = o.spec(); err != nil || spec.ApprovalPolicy != "never" {
		t.Errorf("with --approval-policy never: %q, %v", spec.ApprovalPolicy, err)
	}
}

// The built-in review team reviews an existing branch: its lead gets the
// branch's diff, has a tester test the branch, and reports its verdict.
func TestReviewTeam(t *testing.T) {
	repo := sampleRepo(t)
	git(t, repo, "checkout", "-q", "-b", "feature")
	if err := os.WriteFile(filepath.Join(repo, "NOTES.md"), []byte("reviewed by cadre\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "notes")
	git(t, repo, "checkout", "-q", "main")
	script := `{"agents":{
		"/root":[{"tool_calls":[{"name":"spawn_agent","arguments":{"role":"tester","name":"tester","task":"test the branch"}}]},
		         {"tool_calls":[{"name":"test_request","arguments":{"to":"/root/tester","agents":["/root"]}}]},
		         {"tool_calls":[{"name":"wait","arguments":{"from":["/root/tester"]}}]},
		         {"tool_calls":[{"name":"report","arguments":{"status":"done","summary":"approve: NOTES.md:1: fine"}}]}],
		"/root/tester":[{"tool_calls":[{"name":"run_tests","arguments":{}}]},{"tool_calls":[{"name":"wait","arguments":{}}]}]}}`
	var mu sync.Mutex
	var firstRoot string
	_, url := startScripted(t, []byte(script), func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			mu.Lock()
			if r.Header.Get("X-Cadre-Agent") == "/root" && firstRoot == "" {
				firstRoot = string(body)
			}
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	})
	_, stderr, code := runCadre(t, t.TempDir(), "exec", "--team", "review", "--repo", repo, "--base-url", url, "--model", "m", "review the feature")
	if code != 2 || !strings.Contains(stderr, "--team review needs --base BRANCH") {
		t.Fatalf("without --base: exit %d: %s", code, stderr)
	}
	out, stderr, code := runCadre(t, t.TempDir(), "exec", "--team", "review", "--base", "feature", "--repo", repo, "--base-url", url, "--model", "m", "review the feature")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var team string
	var roles []string
	testReports := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev messaging.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("bad line %q", line)
		}
		switch ev.Type {
		case messaging.EvRunStarted:
			var p messaging.RunStarted
			_ = ev.Decode(&p)
			team = p.Team
		case messaging.EvAgentStarted:
			var p messaging.AgentStarted
			_ = ev.Decode(&p)
			roles = append(roles, ev.Agent.String()+"="+p.Role)
		case messaging.EvMessageSent:
			if strings.Contains(string(ev.Data), `"kind":"test_report"`) {
				testReports++
			}
		}
	}
	if team != "review" || strings.Join(roles, " ") != "/root=review_lead /root/tester=tester" || testReports != 1 {
		t.Errorf("team %q, agents %v, %d test reports", team, roles, testReports)
	}
	if !strings.Contains(out, "approve: NOTES.md:1: fine") {
		t.Errorf("the verdict is not the run's summary:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"Review the branch feature against main", "+reviewed by cadre"} {
		if !strings.Contains(firstRoot, want) {
			t.Errorf("the lead's first request does not hold %q", want)
		}
	}
}
