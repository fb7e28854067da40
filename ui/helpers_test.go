package ui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/gdamore/tcell/v2"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

const waitLimit = 10 * time.Second

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fakeSource is an in-memory Source: the test feeds events and reads the
// controls the dashboard sent.
type fakeSource struct {
	events   chan messaging.Event
	controls chan messaging.Control
	diff     string
	runs     []messaging.RunSummary
	failWith error // returned by Control when set
}

func newFakeSource() *fakeSource {
	return &fakeSource{events: make(chan messaging.Event, 1024), controls: make(chan messaging.Control, 64)}
}

func (f *fakeSource) Runs(context.Context) ([]messaging.RunSummary, error) { return f.runs, nil }

func (f *fakeSource) Events(ctx context.Context, _ string, _ uint64) (<-chan messaging.Event, <-chan error) {
	out := make(chan messaging.Event)
	errc := make(chan error)
	go func() {
		defer close(errc)
		defer close(out)
		for {
			select {
			case ev, ok := <-f.events:
				if !ok {
					return
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, errc
}

func (f *fakeSource) Control(_ context.Context, _ string, c messaging.Control) error {
	f.controls <- c
	return f.failWith
}

func (f *fakeSource) Diff(context.Context, string, messaging.Address) (string, error) {
	return f.diff, nil
}

// script builds a run's events with increasing seq and times.
type script struct {
	run    string
	events []messaging.Event
}

func (s *script) add(agent string, p messaging.Payload) {
	var a messaging.Address
	if agent != "" {
		a = messaging.MustParseAddress(agent)
	}
	n := len(s.events) + 1
	ev := messaging.NewEvent(s.run, a, 1, t0.Add(time.Duration(n)*time.Second), p)
	ev.Seq = uint64(n)
	s.events = append(s.events, ev)
}

func (s *script) send(from, to string, body messaging.Body) {
	n := uint64(len(s.events) + 1)
	env, err := messaging.NewEnvelope(s.run, messaging.MustParseAddress(from), messaging.MustParseAddress(to), 1, n, t0.Add(time.Duration(n)*time.Second), body)
	if err != nil {
		panic(err)
	}
	s.add(from, messaging.MessageSent{Envelope: env})
}

const testRun = "r-20261123-ab12"

// teamScript is a small team at work: a planner, two coders, a tester and
// a reviewer, with turns, tool calls, messages, a failing test report, a
// review and a pending approval.
func teamScript() *script {
	s := &script{run: testRun}
	s.add("", messaging.RunStarted{Task: "Add a Sum function with tests", Repo: "/src/sum", BaseBranch: "main", BaseCommit: "abc1234", ResultBranch: "cadre/r-20261123-ab12/result", Version: 1})
	s.add("/root", messaging.AgentStarted{Role: "planner", Task: "Add a Sum function with tests", Model: "gpt-5"})
	s.add("/root", messaging.TurnStarted{Turn: 1})
	s.add("/root", messaging.ModelTurn{Turn: 1, Model: "gpt-5", Text: "Plan: coder_a writes Sum, coder_b documents it.", Usage: messaging.Usage{Input: 1500, Output: 200}})
	for _, a := range []struct{ addr, role string }{{"/root/coder_a", "coder"}, {"/root/coder_b", "coder"}, {"/root/tester", "tester"}, {"/root/reviewer", "reviewer"}} {
		s.add(a.addr, messaging.AgentStarted{Role: a.role, Parent: messaging.Root, Task: "wait for work", Model: "gpt-5-mini"})
	}
	s.send("/root", "/root/coder_a", messaging.Assign{Task: "Implement Sum in sum.go"})
	s.send("/root", "/root/coder_b", messaging.Assign{Task: "Document Sum in README.md"})
	s.add("/root", messaging.Waiting{From: []messaging.Address{messaging.MustParseAddress("/root/coder_a")}})
	s.add("/root/coder_a", messaging.TurnStarted{Turn: 1})
	s.add("/root/coder_a", messaging.ModelTurn{Turn: 1, Text: "I will add sum.go.", Usage: messaging.Usage{Input: 2000, Output: 300},
		ToolCalls: []messaging.ToolCall{{ID: "c1", Name: "apply_patch"}}})
	s.add("/root/coder_a", messaging.ToolCallStarted{CallID: "c1", Name: "apply_patch", Arguments: `{"patch":"*** Begin Patch\n*** Add File: sum.go\n+package sum\n*** End Patch"}`})
	s.add("/root/coder_a", messaging.ToolResult{CallID: "c1", Name: "apply_patch", Output: "A sum.go", Changed: []string{"sum.go"}, DurationMS: 3})
	s.add("/root/coder_a", messaging.ToolCallStarted{CallID: "c2", Name: "shell", Arguments: `{"command":["go","test","./..."]}`})
	s.add("/root/coder_a", messaging.ToolResult{CallID: "c2", Name: "shell", Output: "ok  \tsum\t0.01s", DurationMS: 850})
	s.add("/root/coder_a", messaging.Snapshot{Branch: "cadre/r-20261123-ab12/root-coder_a", Commit: "def5678901", Files: []string{"sum.go", "sum_test.go"}})
	s.send("/root/coder_a", "/root", messaging.Report{Status: "done", Summary: "Sum added with a table test"})
	s.add("/root/coder_a", messaging.AgentIdle{Reason: "reported"})
	s.add("/root/coder_b", messaging.TurnStarted{Turn: 1})
	s.add("/root/coder_b", messaging.ToolCallStarted{CallID: "b1", Name: "shell", Arguments: `{"command":"curl -sSf https://proxy.golang.org"}`})
	s.add("/root/coder_b", messaging.ApprovalRequested{ID: "ap-1", Command: []string{"curl", "-sSf", "https://proxy.golang.org"}, Reason: "network access needs approval"})
	s.send("/root", "/root/tester", messaging.TestRequest{Agents: []messaging.Address{messaging.MustParseAddress("/root/coder_a")}})
	s.add("/root/tester", messaging.TurnStarted{Turn: 1})
	s.add("/root/tester", messaging.ToolCallStarted{CallID: "t1", Name: "run_tests", Arguments: `{"command":["go","test","./..."]}`})
	s.add("/root/tester", messaging.ToolResult{CallID: "t1", Name: "run_tests", Output: "--- FAIL: TestSumEmpty", IsError: true, DurationMS: 1200})
	s.send("/root/tester", "/root", messaging.TestReport{Passed: false, Command: []string{"go", "test", "./..."}, ExitCode: 1, Failed: []string{"TestSumEmpty"}, Output: "--- FAIL: TestSumEmpty (0.00s)\n    sum_test.go:12: got 1, want 0"})
	s.add("/root/tester", messaging.Waiting{})
	s.add("/root/tester", messaging.AgentPaused{Reason: "paused by user"})
	s.send("/root", "/root/reviewer", messaging.ReviewRequest{Agent: messaging.MustParseAddress("/root/coder_a")})
	s.add("/root/reviewer", messaging.ModelTurn{Turn: 1, Text: "Reviewing.", Usage: messaging.Usage{Input: 900, Output: 120}})
	s.send("/root/reviewer", "/root", messaging.Review{Agent: messaging.MustParseAddress("/root/coder_a"), Verdict: messaging.VerdictRequestChanges, Summary: "Empty slice case is wrong",
		Comments: []messaging.Comment{{Path: "sum.go", Line: 3, Body: "start from 0, not 1"}, {Path: "sum_test.go", Body: "add a nil case"}}})
	s.add("/root/reviewer", messaging.AgentFinished{Summary: "review sent"})
	return s
}

const testDiff = `diff --git a/sum.go b/sum.go
--- /dev/null
+++ b/sum.go
@@ -0,0 +1,3 @@
+package sum
+
+func Sum(xs []int) int { return 1 }
`

// testPrices charges $1 per million input tokens and $4 per million output.
func testPrices(_ string, u messaging.Usage) float64 {
	return float64(u.Input)/1e6 + float64(u.Output)*4/1e6
}

// harness runs the dashboard on a 120x40 simulated screen.
type harness struct {
	t    *testing.T
	src  *fakeSource
	drv  *simDriver
	done chan error
	seq  uint64 // last seq fed
	stop context.CancelFunc
}

func startDashboard(t *testing.T, s *script) *harness {
	t.Helper()
	drv, err := newSimDriver(120, 40)
	if err != nil {
		t.Fatal(err)
	}
	src := newFakeSource()
	src.diff = testDiff
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, src: src, drv: drv, done: make(chan error, 1), stop: cancel}
	opts := Options{Screen: drv.screen, Tick: 5 * time.Millisecond, Prices: testPrices, hooks: drv.hooks(func() time.Time { return t0.Add(5 * time.Minute) })}
	go func() { h.done <- Run(ctx, src, testRun, opts) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(waitLimit):
			t.Error("dashboard did not stop")
		}
	})
	if s != nil {
		h.feed(s.events...)
	}
	return h
}

// feed sends events and waits until a drawn frame includes them.
func (h *harness) feed(evs ...messaging.Event) frame {
	h.t.Helper()
	for _, ev := range evs {
		h.src.events <- ev
		h.seq = max(h.seq, ev.Seq)
	}
	return h.waitFrame(func(f frame) bool { return f.seq >= h.seq })
}

func (h *harness) waitFrame(ok func(frame) bool) frame {
	h.t.Helper()
	f, err := h.drv.wait(waitLimit, ok)
	if err != nil {
		h.t.Fatal(err)
	}
	return f
}

// press injects keys and waits for the frame drawn after the last one.
func (h *harness) press(keys ...tcell.Key) frame {
	h.t.Helper()
	var n uint64
	for _, k := range keys {
		n = h.drv.key(k, 0, tcell.ModNone)
	}
	return h.waitFrame(func(f frame) bool { return f.keys >= n })
}

// typeKeys injects runes and waits for the frame drawn after the last one.
func (h *harness) typeKeys(text string) frame {
	h.t.Helper()
	n := h.drv.typeText(text)
	return h.waitFrame(func(f frame) bool { return f.keys >= n })
}

// control returns the next control the dashboard sent.
func (h *harness) control() messaging.Control {
	h.t.Helper()
	select {
	case c := <-h.src.controls:
		return c
	case <-time.After(waitLimit):
		h.t.Fatal("no control sent")
	}
	return messaging.Control{}
}

func (h *harness) noControl() {
	h.t.Helper()
	select {
	case c := <-h.src.controls:
		h.t.Fatalf("unexpected control %+v", c)
	default:
	}
}

// golden compares got with testdata/name.golden, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func contains(sub string) func(frame) bool {
	return func(f frame) bool { return strings.Contains(f.text, sub) }
}
