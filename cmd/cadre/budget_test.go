package main

import (
	"regexp"
	"strings"
	"testing"
)

// A run whose /root budget is spent stops cleanly and stays resumable;
// cadre budget raises it while nobody runs it, and cadre resume finishes.
func TestBudgetStopsTheRunAndARaiseResumesIt(t *testing.T) {
	repo := sampleRepo(t)
	state := t.TempDir()
	// Each scripted turn reports usage; two turns spend 2 turns of 2.
	script := `{"agents":{"/root":[
		{"tool_calls":[{"name":"list_files","arguments":{"path":"."}}]},
		{"tool_calls":[{"name":"read_file","arguments":{"path":"words.go"}}]},
		{"text":"done within the raised budget"}]}}`
	_, url := startScripted(t, []byte(script), nil)
	writeRepoConfig(t, repo, "[budgets.\"/root\"]\nturns = 2\n")
	_, stderr, code := runCadre(t, state, "exec", "--repo", repo, "--base-url", url, "--model", "m", "look around")
	if code != 1 || !strings.Contains(stderr, "the budget of /root is spent (turns 2 of 2)") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	m := regexp.MustCompile(`cadre budget (r-\d{8}-[a-z0-9]{4}) /root \+AMOUNT`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr does not say how to raise the budget: %q", stderr)
	}
	run := m[1]
	out, stderr, code := runCadre(t, state, "budget", run, "/root", "+1turn")
	if code != 0 || !strings.Contains(out, "raised the budget of /root in "+run+" by 1 turns") || !strings.Contains(out, "cadre resume "+run) {
		t.Fatalf("budget: exit %d\n%s\n%s", code, out, stderr)
	}
	if _, stderr, code := runCadre(t, state, "budget", run, "/root", "+lots"); code != 2 || !strings.Contains(stderr, `bad budget amount "+lots"`) {
		t.Errorf("a bad amount: exit %d, %q", code, stderr)
	}
	out, stderr, code = runCadre(t, state, "resume", "--base-url", url, "--model", "m", "--no-ui", run)
	if code != 0 || !strings.Contains(out, "done within the raised budget") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, stderr)
	}
	show, _, _ := runCadre(t, state, "show", run)
	if !regexp.MustCompile(`(?m)^/root\s+1\s+\d+\s+\d+\s+\d+\s+\$0\.0000\s+3 turns$`).MatchString(show) {
		t.Errorf("show does not list /root's budget of 3 turns:\n%s", show)
	}
}
