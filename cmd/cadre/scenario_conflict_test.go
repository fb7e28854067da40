package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/messaging"
)

// Two coders make conflicting edits to one file: the conflict is forecast
// as soon as the second one's work is snapshotted, before anyone asks for a
// merge; at merge time a resolver produces the merged result, whose tests
// pass. The real binary against the scripted model server.
func TestScenarioConflictForecastAndResolver(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"a.txt": "1\n", "check.sh": "! grep -q '^<<<<<<<' a.txt && test -s a.txt\n"} {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, repo, "init", "-q", "-b", "main")
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "a=1")
	patch := func(from, to string) string {
		return `{"patch":"*** Begin Patch\n*** Update File: a.txt\n@@\n-` + from + `\n+` + to + `\n*** End Patch\n"}`
	}
	script := `{"agents":{
	"/root":[
		{"tool_calls":[{"name":"spawn_agent","arguments":{"role":"coder","name":"coder_a","task":"a"}},
		               {"name":"spawn_agent","arguments":{"role":"coder","name":"coder_b","task":"b"}},
		               {"name":"spawn_agent","arguments":{"role":"reviewer","name":"reviewer","task":"review"}}]},
		{"tool_calls":[{"name":"wait","arguments":{"from":["/root/coder_a","/root/coder_b"]}}]},
		{"tool_calls":[{"name":"review_request","arguments":{"to":"/root/reviewer","agent":"/root/coder_a"}}]},
		{"tool_calls":[{"name":"wait","arguments":{"from":["/root/reviewer"]}}]},
		{"tool_calls":[{"name":"review_request","arguments":{"to":"/root/reviewer","agent":"/root/coder_b"}}]},
		{"tool_calls":[{"name":"wait","arguments":{"from":["/root/reviewer"]}}]},
		{"tool_calls":[{"name":"wait","arguments":{"from":["/root/resolver_1"]}}]},
		{"text":"resolved and merged"}],
	"/root/coder_a":[{"tool_calls":[{"name":"apply_patch","arguments":` + patch("1", "2") + `}]},
		{"tool_calls":[{"name":"report","arguments":{"status":"done","summary":"a=2"}}]},{"tool_calls":[{"name":"wait","arguments":{}}]}],
	"/root/coder_b":[{"tool_calls":[{"name":"apply_patch","arguments":` + patch("1", "3") + `}]},
		{"tool_calls":[{"name":"report","arguments":{"status":"done","summary":"a=3"}}]},{"tool_calls":[{"name":"wait","arguments":{}}]}],
	"/root/reviewer":[{"tool_calls":[{"name":"wait","arguments":{}}]},
		{"tool_calls":[{"name":"review","arguments":{"agent":"/root/coder_a","verdict":"approve","summary":"ok"}}]},
		{"tool_calls":[{"name":"wait","arguments":{}}]},
		{"tool_calls":[{"name":"review","arguments":{"agent":"/root/coder_b","verdict":"approve","summary":"ok"}}]},
		{"tool_calls":[{"name":"wait","arguments":{}}]}],
	"/root/resolver_1":[{"tool_calls":[{"name":"shell","arguments":{"command":["sh","-c","printf '5\\n' > a.txt"]}}]},
		{"tool_calls":[{"name":"shell","arguments":{"command":["sh","check.sh"]}}]},
		{"tool_calls":[{"name":"report","arguments":{"status":"done","summary":"a=5 keeps both"}}]},
		{"tool_calls":[{"name":"wait","arguments":{}}]}]}}`
	_, url := startScripted(t, []byte(script), nil)
	out, stderr, code := runCadre(t, t.TempDir(), "exec", "--repo", repo, "--base-url", url, "--model", "m", "--test-command", "sh check.sh", "change a")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var run string
	firstForecast, firstMerge := uint64(0), uint64(0)
	var failed, merged int
	told := false
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev messaging.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("bad line %q", line)
		}
		run = ev.Run
		switch ev.Type {
		case messaging.EvConflictForecast:
			if firstForecast == 0 {
				firstForecast = ev.Seq
			}
		case messaging.EvMerged:
			merged++
			if firstMerge == 0 {
				firstMerge = ev.Seq
			}
		case messaging.EvMergeFailed:
			failed++
		case messaging.EvMessageDelivered:
			if ev.Agent.IsRoot() && strings.Contains(string(ev.Data), "cadre conflict forecast") {
				told = true
			}
		}
	}
	if firstForecast == 0 || firstMerge == 0 || firstForecast > firstMerge {
		t.Errorf("forecast at seq %d, first merge at seq %d: the conflict must be forecast before merge time", firstForecast, firstMerge)
	}
	if !told {
		t.Error("the planner was not told of the forecast")
	}
	if failed != 1 || merged != 2 {
		t.Errorf("%d conflicting merges and %d merges, want 1 and 2", failed, merged)
	}
	res := "cadre/" + run + "/result"
	if got := strings.TrimSpace(git(t, repo, "show", res+":a.txt")); got != "5" {
		t.Errorf("result a.txt = %q, want the resolver's 5", got)
	}
	// The tests pass on the result: check it out and run them.
	wt := filepath.Join(t.TempDir(), "check")
	git(t, repo, "worktree", "add", "-q", "--detach", wt, res)
	check := exec.Command("sh", "check.sh")
	check.Dir = wt
	if o, err := check.CombinedOutput(); err != nil {
		t.Errorf("the tests fail on the result: %v\n%s", err, o)
	}
	if o := git(t, repo, "fsck", "--no-progress"); strings.Contains(o, "error") {
		t.Errorf("fsck: %s", o)
	}
}
