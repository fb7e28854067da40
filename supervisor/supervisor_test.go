package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
	"github.com/cadre-dev/cadre/supervisor/journal"
)

func testRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "init"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// panicky is a model client that panics on its first `panics` turns, then
// answers with a final text.
type panicky struct {
	mu     sync.Mutex
	panics int
	calls  int
}

func (p *panicky) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	p.mu.Lock()
	p.calls++
	n := p.calls
	p.mu.Unlock()
	if n <= p.panics {
		panic("model client exploded")
	}
	return model.Turn{Text: "done after restarts", Started: time.Now(), Finished: time.Now()}, nil
}

func runWith(t *testing.T, client model.Client) (Outcome, []messaging.Event) {
	t.Helper()
	state := t.TempDir()
	sup, err := Open(state, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	r, err := sup.Start(context.Background(), RunSpec{
		Repo: testRepo(t), Task: "t", Model: model.Config{Model: "m"},
		NewModel: func(model.Config) (model.Client, error) { return client, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	out := r.Wait()
	var evs []messaging.Event
	if err := sup.Journal().Events(r.ID, 0, func(ev messaging.Event) error { evs = append(evs, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return out, evs
}

func count(evs []messaging.Event, typ messaging.EventType, contains string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ && strings.Contains(string(ev.Data), contains) {
			n++
		}
	}
	return n
}

func TestPanickingAgentRestartsFromItsJournal(t *testing.T) {
	out, evs := runWith(t, &panicky{panics: 2})
	if out.Status != messaging.StatusSucceeded || out.Summary != "done after restarts" {
		t.Fatalf("outcome %+v", out)
	}
	if n := count(evs, messaging.EvWarning, "panicked: model client exploded"); n != 2 {
		t.Fatalf("%d panic warnings", n)
	}
	if count(evs, messaging.EvWarning, "goroutine") != 2 {
		t.Fatal("the panics' stacks are not journaled")
	}
}

func TestAgentFailsAfterTheRestartLimit(t *testing.T) {
	out, evs := runWith(t, &panicky{panics: 1000})
	if out.Status != messaging.StatusFailed || !strings.Contains(out.Err.Error(), "restart limit") {
		t.Fatalf("outcome %+v", out)
	}
	if n := count(evs, messaging.EvWarning, "panicked"); n != 4 {
		t.Fatalf("%d panics journaled, want 4 (first run + 3 restarts)", n)
	}
	if count(evs, messaging.EvAgentFailed, "restart limit") != 1 {
		t.Fatal("no agent_failed")
	}
}

func TestSecondOpenIsRefusedWithTheHolder(t *testing.T) {
	state := t.TempDir()
	sup, err := Open(state, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	start := time.Now()
	_, err = Open(state, Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, journal.ErrLocked) || !strings.Contains(err.Error(), "state is locked by pid") {
		t.Fatalf("second open: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("second open took %s", time.Since(start))
	}
}

func TestResumeRefusesAFinishedRun(t *testing.T) {
	state := t.TempDir()
	sup, err := Open(state, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	r, err := sup.Start(context.Background(), RunSpec{
		Repo: testRepo(t), Task: "t", Model: model.Config{Model: "m"},
		NewModel: func(model.Config) (model.Client, error) { return &panicky{}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if _, err := sup.Resume(context.Background(), r.ID, RunSpec{}); !errors.Is(err, ErrFinished) {
		t.Fatalf("resume of a finished run: %v", err)
	}
	if _, err := sup.Resume(context.Background(), "r-20990101-zzzz", RunSpec{}); !errors.Is(err, journal.ErrNoRun) {
		t.Fatalf("resume of a missing run: %v", err)
	}
}

type pricedClient struct{}

func (pricedClient) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	return model.Turn{Text: "done", Model: "gpt-5", Usage: model.Usage{InputTokens: 1_000_000, CachedInputTokens: 200_000, OutputTokens: 100_000},
		Started: time.Now(), Finished: time.Now()}, nil
}

func TestCostIsJournaledPerTurnAndSummed(t *testing.T) {
	state := t.TempDir()
	sup, err := Open(state, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	r, err := sup.Start(context.Background(), RunSpec{Repo: testRepo(t), Task: "t", Model: model.Config{Model: "gpt-5"},
		NewModel: func(model.Config) (model.Client, error) { return pricedClient{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	r.Wait()
	sum, err := sup.Journal().Run(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	// 800k uncached × 1.25 + 200k cached × 0.125 + 100k out × 10, per million.
	want := 0.8*1.25 + 0.2*0.125 + 0.1*10
	if d := sum.CostUSD - want; d > 1e-9 || d < -1e-9 {
		t.Fatalf("cost %v, want %v", sum.CostUSD, want)
	}
}

// shellUntilOK is a model client that calls shell until a tool output says
// "tool-ok", then finishes.
type shellUntilOK struct{ calls atomic.Int64 }

func (m *shellUntilOK) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	for _, it := range req.Input {
		if it.Role == model.RoleTool && strings.Contains(it.Text, "tool-ok") {
			return model.Turn{Text: "done after tool panics", Started: time.Now(), Finished: time.Now()}, nil
		}
	}
	id := fmt.Sprintf("call-%d", m.calls.Add(1))
	return model.Turn{ToolCalls: []model.ToolCall{{ID: id, Name: "shell", Arguments: `{"command":["true"]}`}},
		Started: time.Now(), Finished: time.Now()}, nil
}

// panickyRunner panics in its first `panics` commands, then prints tool-ok.
type panickyRunner struct {
	mu     *sync.Mutex
	calls  *int
	panics int
}

func (p panickyRunner) Run(ctx context.Context, cmd sandbox.Command) (sandbox.Result, error) {
	p.mu.Lock()
	*p.calls++
	n := *p.calls
	p.mu.Unlock()
	if n <= p.panics {
		panic("runner exploded")
	}
	return sandbox.Result{Output: []byte("tool-ok\n")}, nil
}

func (panickyRunner) Close() error { return nil }

func runPanickyTool(t *testing.T, panics int) (Outcome, []messaging.Event) {
	t.Helper()
	sup, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	var mu sync.Mutex
	calls := 0
	r, err := sup.Start(context.Background(), RunSpec{
		Repo: testRepo(t), Task: "t", Model: model.Config{Model: "m"}, RootRole: "coder",
		NewModel:  func(model.Config) (model.Client, error) { return &shellUntilOK{}, nil },
		NewRunner: func(sandbox.Policy) (sandbox.Runner, error) { return panickyRunner{&mu, &calls, panics}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	out := r.Wait()
	var evs []messaging.Event
	if err := sup.Journal().Events(r.ID, 0, func(ev messaging.Event) error { evs = append(evs, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return out, evs
}

func TestPanickingToolRestartsTheAgent(t *testing.T) {
	out, evs := runPanickyTool(t, 2)
	if out.Status != messaging.StatusSucceeded || out.Summary != "done after tool panics" {
		t.Fatalf("outcome %+v", out)
	}
	if n := count(evs, messaging.EvWarning, "panicked: runner exploded"); n != 2 {
		t.Fatalf("%d tool panics journaled, want 2", n)
	}
	// The shell calls cut short by the panics were not re-run (shell is not
	// read-only): the model was told they were interrupted.
	if n := count(evs, messaging.EvToolResult, "interrupted"); n != 2 {
		t.Errorf("%d interrupted tool results, want 2", n)
	}
}

func TestPanickingToolFailsTheAgentAfterTheLimit(t *testing.T) {
	out, evs := runPanickyTool(t, 1000)
	if out.Status != messaging.StatusFailed || !strings.Contains(out.Err.Error(), "restart limit") {
		t.Fatalf("outcome %+v", out)
	}
	if n := count(evs, messaging.EvWarning, "panicked: runner exploded"); n != 4 {
		t.Fatalf("%d panics journaled, want 4 (first run + 3 restarts)", n)
	}
	if count(evs, messaging.EvAgentFailed, "restart limit") != 1 {
		t.Fatal("no agent_failed")
	}
}
