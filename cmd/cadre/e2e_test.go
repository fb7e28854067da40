package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model/scripted"
	"github.com/cadre-dev/cadre/examples/demo"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
)

// cadreBin is the real binary, built once by TestMain.
var cadreBin string

func TestMain(m *testing.M) {
	sandbox.HelperMain() // tests run agents in-process: this binary is their sandbox helper
	dir, err := os.MkdirTemp("", "cadre-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cadreBin = filepath.Join(dir, "cadre")
	// No test may read the configuration of the machine's user.
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	out, err := exec.Command("go", "build", "-o", cadreBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build cadre: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// sampleRepo writes the demo repository and commits it.
func sampleRepo(t *testing.T) string {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "textstat")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := demo.WriteRepo(repo); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "init", "-q", "-b", "main")
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "sample")
	return repo
}

// gate holds the first request of one agent until released, so a test can
// look at the run while it is certainly still working.
type gate struct {
	next    http.Handler
	agent   string
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Cadre-Agent") == g.agent {
		first := false
		g.once.Do(func() { first = true })
		if first {
			close(g.arrived)
			<-g.release
		}
	}
	g.next.ServeHTTP(w, r)
}

func startScripted(t *testing.T, script []byte, wrap func(http.Handler) http.Handler) (*scripted.Server, string) {
	t.Helper()
	s, err := scripted.ParseScript(script)
	if err != nil {
		t.Fatal(err)
	}
	srv := scripted.NewServer(s)
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	hs := &http.Server{Handler: h}
	ln, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return srv, "http://" + ln.Addr().String() + "/v1"
}

type cadreCmd struct {
	cmd    *exec.Cmd
	stdout *bufio.Scanner
	stderr *bytes.Buffer
}

func startCadre(t *testing.T, state string, args ...string) *cadreCmd {
	t.Helper()
	cmd := exec.Command(cadreBin, args...)
	cmd.Env = append(os.Environ(), "CADRE_HOME="+state)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	return &cadreCmd{cmd: cmd, stdout: sc, stderr: &stderr}
}

func TestE2EDemoTeam(t *testing.T) {
	repo := sampleRepo(t)
	base := strings.TrimSpace(git(t, repo, "rev-parse", "HEAD"))
	g := &gate{agent: "/root/reviewer", arrived: make(chan struct{}), release: make(chan struct{})}
	srv, url := startScripted(t, demo.Script(), func(h http.Handler) http.Handler { g.next = h; return g })
	state := t.TempDir()
	c := startCadre(t, state, "exec", "--repo", repo, "--base-url", url, "--model", "cadre-scripted", "--wire-api", "chat", demo.Task)

	events := make(chan messaging.Event, 4096)
	go func() {
		defer close(events)
		for c.stdout.Scan() {
			var ev messaging.Event
			if err := json.Unmarshal(c.stdout.Bytes(), &ev); err != nil {
				t.Errorf("stdout line is not an event: %v: %s", err, c.stdout.Text())
				continue
			}
			events <- ev
		}
	}()

	// The reviewer is spawned last: once its first request arrives, every
	// agent has its worktree, and the run cannot end until it is released.
	select {
	case <-g.arrived:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the reviewer never called the model; stderr:\n%s", c.stderr)
	}
	list := git(t, repo, "worktree", "list", "--porcelain")
	for _, slug := range []string{"root", "root-coder_a", "root-coder_b", "root-tester", "root-reviewer"} {
		if !strings.Contains(list, "/wt/"+slug+"\n") {
			t.Errorf("git worktree list does not show %s's worktree:\n%s", slug, list)
		}
	}
	close(g.release)

	var all []messaging.Event
	for ev := range events {
		all = append(all, ev)
	}
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("cadre exec: %v\nstderr:\n%s", err, c.stderr)
	}
	if len(all) == 0 || all[len(all)-1].Type != messaging.EvRunFinished {
		t.Fatalf("last event is not run_finished: %d events", len(all))
	}
	var fin messaging.RunFinished
	if err := all[len(all)-1].Decode(&fin); err != nil || fin.Status != messaging.StatusSucceeded {
		t.Fatalf("run finished %+v %v", fin, err)
	}

	// Addresses.
	started := map[string]string{}
	for _, ev := range all {
		if ev.Type == messaging.EvAgentStarted {
			var p messaging.AgentStarted
			_ = ev.Decode(&p)
			started[ev.Agent.String()] = p.Role
		}
	}
	want := map[string]string{"/root": "planner", "/root/coder_a": "coder", "/root/coder_b": "coder", "/root/tester": "tester", "/root/reviewer": "reviewer"}
	for a, role := range want {
		if started[a] != role {
			t.Errorf("agent %s: role %q, want %q (started: %v)", a, started[a], role, started)
		}
	}

	// The two coders' model turns overlap in time.
	spans := map[string][][2]time.Time{}
	for _, ev := range all {
		if ev.Type == messaging.EvModelTurn {
			var p messaging.ModelTurn
			_ = ev.Decode(&p)
			spans[ev.Agent.String()] = append(spans[ev.Agent.String()], [2]time.Time{p.Started, p.Finished})
		}
	}
	overlap := false
	for _, a := range spans["/root/coder_a"] {
		for _, b := range spans["/root/coder_b"] {
			if a[0].Before(b[1]) && b[0].Before(a[1]) {
				overlap = true
			}
		}
	}
	if !overlap {
		t.Errorf("coder turns never overlap: a=%v b=%v", spans["/root/coder_a"], spans["/root/coder_b"])
	}
	// Every served request was logged by the server under the right agent.
	served := map[string]int{}
	for _, s := range srv.Log() {
		served[s.Agent]++
	}
	if served["/root/coder_a"] != 6 || served["/root/coder_b"] != 4 {
		t.Errorf("scripted server served %v", served)
	}

	// The journal's message sequence: who sent what to whom, in order per sender.
	var flow []string
	for _, ev := range all {
		if ev.Type == messaging.EvMessageSent {
			var p messaging.MessageSent
			_ = ev.Decode(&p)
			flow = append(flow, fmt.Sprintf("%s>%s:%s", p.Envelope.From, p.Envelope.To, p.Envelope.Kind))
		}
	}
	wantFlow := []string{
		"/root>/root/coder_a:assign", "/root>/root/coder_b:assign", "/root>/root/tester:assign", "/root>/root/reviewer:assign",
		"/root/coder_a>/root:report", "/root/coder_b>/root:report",
		"/root>/root/tester:test_request", "/root>/root/reviewer:review_request", "/root>/root/reviewer:review_request",
		"/root/tester>/root:test_report",
		"/root/reviewer>/root:review", "/root/reviewer>/root/coder_a:review", "/root/reviewer>/root:review",
		"/root/coder_a>/root:report",
		"/root>/root/tester:test_request", "/root>/root/reviewer:review_request",
		"/root/tester>/root:test_report", "/root/reviewer>/root:review",
	}
	if !sameMultiset(flow, wantFlow) || !orderedPerSender(flow, wantFlow) {
		t.Errorf("message flow:\n got %v\nwant %v", flow, wantFlow)
	}
	// Both test reports passed, from the real exit status.
	for _, ev := range all {
		if ev.Type != messaging.EvMessageSent {
			continue
		}
		var p messaging.MessageSent
		_ = ev.Decode(&p)
		if p.Envelope.Kind == messaging.KindTestReport {
			b, _ := p.Envelope.Decode()
			if tr := b.(messaging.TestReport); !tr.Passed {
				t.Errorf("test report failed: %+v", tr)
			}
		}
	}

	// The result branch holds both fixes and the documented one; its tests
	// pass, the base's fail.
	result := fin.ResultBranch
	words := git(t, repo, "show", result+":words.go")
	if !strings.Contains(words, "strings.Fields(s)") || !strings.Contains(words, "runs\n// of white space") {
		t.Errorf("result words.go:\n%s", words)
	}
	if mean := git(t, repo, "show", result+":mean.go"); !strings.Contains(mean, "float64(len(xs))\n") {
		t.Errorf("result mean.go:\n%s", mean)
	}
	if err := goTestAt(t, repo, result); err != nil {
		t.Errorf("go test on %s: %v", result, err)
	}
	if err := goTestAt(t, repo, base); err == nil {
		t.Errorf("go test passes on the base commit; the demo bug is gone")
	}
	// Worktrees are removed, branches kept, the repository is sound, and the
	// user's own checkout never moved.
	if list := git(t, repo, "worktree", "list", "--porcelain"); strings.Count(list, "worktree ") != 1 {
		t.Errorf("worktrees left behind:\n%s", list)
	}
	branches := git(t, repo, "branch", "--list", "cadre/*")
	for _, slug := range []string{"root-coder_a", "root-coder_b", "result"} {
		if !strings.Contains(branches, slug) {
			t.Errorf("branch %s missing:\n%s", slug, branches)
		}
	}
	git(t, repo, "fsck", "--strict", "--no-dangling")
	if head := strings.TrimSpace(git(t, repo, "rev-parse", "HEAD")); head != base {
		t.Errorf("user's HEAD moved to %s", head)
	}
	if st := git(t, repo, "status", "--porcelain"); st != "" {
		t.Errorf("user's work tree changed:\n%s", st)
	}
	// Coders' commits are authored by their addresses.
	if an := git(t, repo, "log", "-1", "--format=%an", "cadre/"+all[0].Run+"/root-coder_a"); strings.TrimSpace(an) != "/root/coder_a" {
		t.Errorf("coder_a's commit author = %q", an)
	}
}

// goTestAt runs go test ./... on a commit, exported into a temp dir.
func goTestAt(t *testing.T, repo, rev string) error {
	t.Helper()
	dir := t.TempDir()
	archive := exec.Command("sh", "-c", fmt.Sprintf("git -C %q archive %q | tar -x -C %q", repo, rev, dir))
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("export %s: %v\n%s", rev, err, out)
	}
	cmd := exec.CommandContext(context.Background(), "go", "test", "./...")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

func sameMultiset(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

// orderedPerSender: each sender's messages appear in the wanted order.
func orderedPerSender(got, want []string) bool {
	bySender := func(list []string) map[string][]string {
		m := map[string][]string{}
		for _, s := range list {
			from := s[:strings.Index(s, ">")]
			m[from] = append(m[from], s)
		}
		return m
	}
	g, w := bySender(got), bySender(want)
	for from, seq := range w {
		if strings.Join(g[from], " ") != strings.Join(seq, " ") {
			return false
		}
	}
	return true
}
