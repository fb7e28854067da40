package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/messaging"
)

// runCadre runs the real binary to completion.
func runCadre(t *testing.T, state string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(cadreBin, args...)
	cmd.Env = append(os.Environ(), "CADRE_HOME="+state)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestBadUsageAndBadRepos(t *testing.T) {
	plain := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no task", []string{"exec", "--repo", plain}, 2, "needs a TASK"},
		{"missing repo", []string{"exec", "--repo", filepath.Join(plain, "nope"), "task"}, 2, "path does not exist"},
		{"not a git repo", []string{"exec", "--repo", plain, "task"}, 2, "not a git work tree"},
		{"bad wire api", []string{"exec", "--wire-api", "soap", "task"}, 2, `flag --wire-api: model_providers.openai.wire_api: expected one of "responses", "chat", got "soap"`},
		{"bad sandbox", []string{"run", "--sandbox", "maybe", "task"}, 2, `flag --sandbox: sandbox_mode: expected one of "workspace-write", "off"`},
		{"bad approval", []string{"run", "--approval-policy", "sometimes", "task"}, 2, `flag --approval-policy: approval_policy: expected one of "untrusted", "on-request", "never", got "sometimes"`},
		{"unknown flag", []string{"run", "--frobnicate", "task"}, 2, "unknown flag: --frobnicate"},
		{"unknown command", []string{"frobnicate"}, 1, `unknown command "frobnicate"`},
		{"approve needs a choice", []string{"approve", "r-20261123-abcd"}, 2, "exactly one of --allow or --deny"},
		{"policy forbids", []string{"policy", "check", "--", "git", "push"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCadre(t, t.TempDir(), tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.err) {
				t.Fatalf("exit %d stderr %q; want exit %d containing %q", code, stderr, tt.code, tt.err)
			}
		})
	}
}

func TestPolicyCheckAndHelp(t *testing.T) {
	out, _, code := runCadre(t, t.TempDir(), "policy", "check", "--", "git", "push", "origin", "main")
	if code != 0 || !strings.HasPrefix(out, "forbidden (rule default.toml:") {
		t.Fatalf("policy check: %d %q", code, out)
	}
	for _, sub := range []string{"run", "exec", "demo", "ui", "ls", "show", "logs", "cancel", "approve", "sandbox", "policy", "model-server", "version", "completion", "apply", "budget", "config", "prompt", "resume", "fork", "clean"} {
		out, _, code := runCadre(t, t.TempDir(), sub, "--help")
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: exit %d\n%s", sub, code, out)
		}
	}
	out, _, code = runCadre(t, t.TempDir(), "completion", "bash")
	if code != 0 || !strings.Contains(out, "__start_cadre") {
		t.Errorf("bash completion: %d", code)
	}
}

// A dirty working tree is left exactly as it was, and the run says so.
func TestDirtyWorkingTreeIsUntouched(t *testing.T) {
	repo := sampleRepo(t)
	if err := os.WriteFile(filepath.Join(repo, "words.go"), []byte("package textstat // my local edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "notes.txt"), []byte("untracked\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := git(t, repo, "status", "--porcelain")
	script := `{"agents":{"/root":[{"tool_calls":[{"name":"read_file","arguments":{"path":"words.go"}}]},{"text":"nothing to do"}]}}`
	_, url := startScripted(t, []byte(script), nil)
	stdout, stderr, code := runCadre(t, t.TempDir(), "exec", "--repo", repo, "--base-url", url, "--model", "m", "look")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if after := git(t, repo, "status", "--porcelain"); after != before {
		t.Fatalf("status changed:\n%s\nwas:\n%s", after, before)
	}
	b, _ := os.ReadFile(filepath.Join(repo, "words.go"))
	if string(b) != "package textstat // my local edit\n" {
		t.Fatalf("local edit lost: %q", b)
	}
	var warned, readCommitted bool
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev messaging.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("bad JSONL line %q: %v", line, err)
		}
		switch ev.Type {
		case messaging.EvWarning:
			var w messaging.Warning
			_ = ev.Decode(&w)
			warned = warned || strings.Contains(w.Text, "uncommitted change")
		case messaging.EvToolResult:
			var r messaging.ToolResult
			_ = ev.Decode(&r)
			// The agent reads the committed file, not the local edit.
			readCommitted = strings.Contains(r.Output, "strings.Split")
		}
	}
	if !warned || !readCommitted {
		t.Fatalf("warned=%v readCommitted=%v\n%s", warned, readCommitted, stdout)
	}
}

// A run whose lead reports failure exits 1 and says why.
func TestFailedRunExitsOne(t *testing.T) {
	repo := sampleRepo(t)
	script := `{"agents":{"/root":[{"tool_calls":[{"name":"report","arguments":{"status":"failed","summary":"cannot do it"}}]}]}}`
	_, url := startScripted(t, []byte(script), nil)
	_, stderr, code := runCadre(t, t.TempDir(), "exec", "--repo", repo, "--base-url", url, "--model", "m", "impossible")
	if code != 1 || !strings.Contains(stderr, "cannot do it") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}

// A model server that keeps failing ends the run with the provider's own
// message, not a hang, and leaves it resumable: once the server recovers,
// cadre resume finishes it.
func TestProviderAlwaysFailing(t *testing.T) {
	repo := sampleRepo(t)
	state := t.TempDir()
	// Five 500s: exactly what one turn's attempts use up (the client's
	// default), then the server answers.
	script := `{"agents":{"/root":[{"fault":{"kind":"http_500","times":5},"text":"done after the outage"}]}}`
	_, url := startScripted(t, []byte(script), nil)
	_, stderr, code := runCadre(t, state, "exec", "--repo", repo, "--base-url", url, "--model", "m", "x")
	if code != 1 || !strings.Contains(stderr, "500") || !strings.Contains(stderr, "the model provider failed") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	m := regexp.MustCompile(`resume it with: cadre resume (r-\d{8}-[a-z0-9]{4})`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr does not say how to resume: %q", stderr)
	}
	out, _, code := runCadre(t, state, "ls")
	if code != 0 || !strings.Contains(out, m[1]) || !strings.Contains(out, "interrupted") {
		t.Fatalf("ls after the outage: exit %d\n%s", code, out)
	}
	out, stderr, code = runCadre(t, state, "resume", "--base-url", url, "--model", "m", "--no-ui", m[1])
	if code != 0 || !strings.Contains(out, "done after the outage") {
		t.Fatalf("resume: exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
}

// A second process that needs the state gets who holds it, at once.
func TestLockedState(t *testing.T) {
	repo := sampleRepo(t)
	state := t.TempDir()
	g := &gate{agent: "/root", arrived: make(chan struct{}), release: make(chan struct{})}
	_, url := startScripted(t, []byte(`{"agents":{"/root":[{"text":"done"}]}}`), func(h http.Handler) http.Handler { g.next = h; return g })
	first := startCadre(t, state, "exec", "--repo", repo, "--base-url", url, "--model", "m", "hold the lock")
	go func() {
		for first.stdout.Scan() {
		}
	}()
	<-g.arrived
	_, stderr, code := runCadre(t, state, "exec", "--repo", repo, "--base-url", url, "--model", "m", "second")
	close(g.release)
	if err := first.cmd.Wait(); err != nil {
		t.Errorf("first run: %v\n%s", err, first.stderr)
	}
	want := regexp.MustCompile(`state is locked by pid \d+ \(run r-\d{8}-[a-z0-9]{4}\)`)
	if code != 1 || !want.MatchString(stderr) {
		t.Fatalf("second process: exit %d stderr %q", code, stderr)
	}
	// Read-only commands work while the run is active... and after.
	out, _, code := runCadre(t, state, "ls")
	if code != 0 || !strings.Contains(out, "succeeded") {
		t.Fatalf("ls: %d %q", code, out)
	}
}

// cadre approve, from another process, answers an agent of a running
// `cadre run` through the local API; the agent's command then runs.
func TestApproveFromTheCLI(t *testing.T) {
	repo := sampleRepo(t)
	state := t.TempDir()
	script := `{"agents":{"/root":[
		{"tool_calls":[{"name":"spawn_agent","arguments":{"role":"coder","name":"coder_a","task":"clean"}}]},
		{"tool_calls":[{"name":"wait","arguments":{"from":["/root/coder_a"]}}]},
		{"tool_calls":[{"name":"report","arguments":{"status":"done","summary":"cleaned"}}]}],
	  "/root/coder_a":[
		{"tool_calls":[{"name":"shell","arguments":{"command":["rm","-rf","build"]}}]},
		{"tool_calls":[{"name":"report","arguments":{"status":"done","summary":"removed build"}}]}]}}`
	_, url := startScripted(t, []byte(script), nil)
	c := startCadre(t, state, "run", "--no-ui", "--repo", repo, "--base-url", url, "--model", "m", "clean up")
	run := ""
	var lines []string
	for c.stdout.Scan() {
		line := c.stdout.Text()
		lines = append(lines, line)
		if strings.HasPrefix(line, "run r-") {
			run = strings.Fields(line)[1]
		}
		if strings.Contains(line, "WAITS FOR APPROVAL ap-1: rm -rf build") {
			break
		}
	}
	if run == "" {
		t.Fatalf("no approval request seen:\n%s\n%s", strings.Join(lines, "\n"), c.stderr)
	}
	out, stderr, code := runCadre(t, state, "approve", run, "--allow", "--reason", "fine")
	if code != 0 || !strings.Contains(out, "approve ap-1") {
		t.Fatalf("approve: exit %d %q %q", code, out, stderr)
	}
	ran, last := false, ""
	for c.stdout.Scan() {
		line := c.stdout.Text()
		ran = ran || strings.Contains(line, "/root/coder_a") && strings.Contains(line, "shell ok: exit code: 0")
		last = line
	}
	if err := c.cmd.Wait(); err != nil || !ran || !strings.HasPrefix(last, "result: ") {
		t.Fatalf("run: %v ran=%v last=%q\n%s", err, ran, last, c.stderr)
	}
}
