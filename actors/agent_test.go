package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
)

// fakeModel plays turns in order and records every request.
type fakeModel struct {
	block   bool          // past the last turn, wait for ctx instead of failing
	blocked chan struct{} // closed when it starts waiting
	mu      sync.Mutex
	turns   []model.Turn
	reqs    []model.Request
}

func (m *fakeModel) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reqs = append(m.reqs, req)
	if len(m.reqs) > len(m.turns) {
		if m.block {
			if m.blocked != nil {
				close(m.blocked)
				m.blocked = nil
			}
			m.mu.Unlock()
			<-ctx.Done()
			m.mu.Lock()
			return model.Turn{}, ctx.Err()
		}
		return model.Turn{}, fmt.Errorf("fake model: no turn %d", len(m.reqs)-1)
	}
	t := m.turns[len(m.reqs)-1]
	t.Started, t.Finished = time.Now(), time.Now()
	return t, nil
}

func calls(cs ...model.ToolCall) model.Turn { return model.Turn{ToolCalls: cs} }
func call(id, name, args string) model.ToolCall {
	return model.ToolCall{ID: id, Name: name, Arguments: args}
}

// fakeHost records events and messages; the test reads them.
type fakeHost struct {
	addr      messaging.Address
	mu        sync.Mutex
	events    []messaging.Event
	sent      []messaging.Envelope
	finished  *messaging.Report
	snapshots int
	plans     []string
	idle      chan struct{}
	turns     chan struct{}
	waiting   chan struct{}
	all       chan messaging.EventType
	asked     []string
	decision  messaging.ApprovalDecided
}

func newHost(addr string) *fakeHost {
	return &fakeHost{addr: messaging.MustParseAddress(addr), idle: make(chan struct{}, 16), turns: make(chan struct{}, 64), waiting: make(chan struct{}, 16), all: make(chan messaging.EventType, 1024)}
}

func (h *fakeHost) Record(ctx context.Context, ps ...messaging.Payload) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range ps {
		ev := messaging.NewEvent("r-20261123-test", h.addr, 1, time.Now(), p)
		ev.Seq = uint64(len(h.events) + 1)
		h.events = append(h.events, ev)
		select {
		case h.all <- p.EventType():
		default:
		}
		switch p.EventType() {
		case messaging.EvAgentIdle:
			h.idle <- struct{}{}
		case messaging.EvModelTurn:
			h.turns <- struct{}{}
		case messaging.EvWaiting:
			h.waiting <- struct{}{}
		}
	}
	return nil
}

func (h *fakeHost) Send(ctx context.Context, to messaging.Address, body messaging.Body) (messaging.Envelope, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if to.IsZero() {
		to = messaging.Root
	}
	env, err := messaging.NewEnvelope("r-20261123-test", h.addr, to, 1, uint64(len(h.sent)+1), time.Now(), body)
	h.sent = append(h.sent, env)
	return env, err
}

func (h *fakeHost) Spawn(ctx context.Context, role, name, task, subtask string) (messaging.Address, error) {
	return h.addr.Child(name)
}
func (h *fakeHost) SubmitPlan(ctx context.Context, plan json.RawMessage) (string, error) {
	h.plans = append(h.plans, string(plan))
	return "plan accepted", nil
}
func (h *fakeHost) Snapshot(ctx context.Context) error { h.snapshots++; return nil }
func (h *fakeHost) CheckoutForTest(ctx context.Context, commit string) error {
	return nil
}
func (h *fakeHost) FinishRun(ctx context.Context, r messaging.Report) error {
	h.finished = &r
	return nil
}
func (h *fakeHost) Acquire(ctx context.Context) (func(), error) { return func() {}, nil }
func (h *fakeHost) Approve(ctx context.Context, argv []string, reason string) (messaging.ApprovalDecided, error) {
	h.mu.Lock()
	h.asked = append(h.asked, strings.Join(argv, " ")+" | "+reason)
	d := h.decision
	h.mu.Unlock()
	return d, nil
}

func (h *fakeHost) results() []messaging.ToolResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []messaging.ToolResult
	for _, ev := range h.events {
		if ev.Type == messaging.EvToolResult {
			var r messaging.ToolResult
			_ = ev.Decode(&r)
			out = append(out, r)
		}
	}
	return out
}

func newCoder(t *testing.T, m Model, h Host) (*Agent, string) {
	t.Helper()
	wt := t.TempDir()
	if err := os.WriteFile(filepath.Join(wt, "a.go"), []byte("package a\n\nvar X = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	role, _ := LookupRole("coder")
	a, err := New(Config{Run: "r-20261123-test", Address: messaging.MustParseAddress("/root/coder_a"), Role: role, Model: m, Worktree: wt, Host: h, MaxTurns: 10})
	if err != nil {
		t.Fatal(err)
	}
	return a, wt
}

func assign(task string) messaging.Envelope {
	env, _ := messaging.NewEnvelope("r-20261123-test", messaging.Root, messaging.MustParseAddress("/root/coder_a"), 1, 1, time.Now(), messaging.Assign{Task: task})
	return env
}

// runUntilIdle runs the agent until it records agent_idle, then stops it.
func runUntilIdle(t *testing.T, a *Agent, h *fakeHost) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	select {
	case <-h.idle:
		cancel()
		return <-errc
	case err := <-errc:
		cancel()
		return err
	}
}

func TestBadToolCallsGetPreciseErrorsAndTheAgentGoesOn(t *testing.T) {
	outside := t.TempDir()
	escape := "*** Begin Patch\n*** Add File: ../" + filepath.Base(outside) + "/pwned.txt\n+x\n*** End Patch"
	m := &fakeModel{turns: []model.Turn{
		calls(call("c1", "read_file", `{"path": `)),                     // not JSON
		calls(call("c2", "rm_rf", `{}`)),                                // unknown tool
		calls(call("c3", "ask", `{"to":"/root"}`)),                      // schema violation
		calls(call("c4", "ask", `{"to":"/etc/passwd","question":"q"}`)), // bad address
		calls(call("c5", "apply_patch", mustJSON(map[string]string{"patch": escape}))),
		calls(call("c6", "report", `{"status":"done","summary":"tried"}`)),
	}}
	h := newHost("/root/coder_a")
	a, _ := newCoder(t, m, h)
	a.Deliver(assign("do things"))
	if err := runUntilIdle(t, a, h); err != nil {
		t.Fatal(err)
	}
	res := h.results()
	if len(res) != 6 {
		t.Fatalf("%d tool results: %+v", len(res), res)
	}
	want := []string{
		"arguments are not valid JSON",
		`unknown tool "rm_rf"; your tools are: read_file, list_files, search, apply_patch, shell, ask, wait, report`,
		"missing property 'question'",
		"must start with /root",
		"outside the worktree",
	}
	for i, w := range want {
		if !res[i].IsError || !strings.Contains(res[i].Output, w) {
			t.Errorf("result %d = %q, want an error containing %q", i, res[i].Output, w)
		}
	}
	if res[5].IsError || len(h.sent) != 1 || h.sent[0].Kind != messaging.KindReport || h.sent[0].To != messaging.Root {
		t.Fatalf("report not sent to parent: %+v %+v", res[5], h.sent)
	}
	if _, err := os.Stat(filepath.Join(outside, "pwned.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("escaping patch wrote outside the worktree: %v", err)
	}
	// Each error went back to the model as the next turn's input.
	last := m.reqs[len(m.reqs)-1].Input
	if got := last[len(last)-1]; got.Role != model.RoleTool || !strings.Contains(got.Text, "outside the worktree") {
		t.Fatalf("last input item %+v", got)
	}
}

func mustJSON(v any) string {
	b, err := jsonMarshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestPatchSnapshotsAndFinalTextReports(t *testing.T) {
	patch := "*** Begin Patch\n*** Update File: a.go\n@@\n-var X = 1\n+var X = 2\n*** End Patch"
	m := &fakeModel{turns: []model.Turn{
		calls(call("c1", "apply_patch", mustJSON(map[string]string{"patch": patch}))),
		{Text: "changed X"},
	}}
	h := newHost("/root/coder_a")
	a, wt := newCoder(t, m, h)
	a.Deliver(assign("set X to 2"))
	if err := runUntilIdle(t, a, h); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(wt, "a.go"))
	if !strings.Contains(string(b), "var X = 2") || h.snapshots != 1 {
		t.Fatalf("file %q snapshots %d", b, h.snapshots)
	}
	if len(h.sent) != 1 || !strings.Contains(string(h.sent[0].Body), `"summary":"changed X"`) {
		t.Fatalf("final text was not reported: %+v", h.sent)
	}
	// The first request carries the role, address, tools and the task.
	first := m.reqs[0]
	if !strings.Contains(first.Instructions, "address: /root/coder_a\nrole: coder") || len(first.Tools) != 8 {
		t.Fatalf("instructions %q, %d tools", first.Instructions, len(first.Tools))
	}
	if !strings.Contains(first.Input[0].Text, "task: set X to 2") {
		t.Fatalf("first input %+v", first.Input[0])
	}
}

func TestTurnLimit(t *testing.T) {
	m := &fakeModel{}
	for i := 0; i < 20; i++ {
		m.turns = append(m.turns, calls(call(fmt.Sprint("c", i), "list_files", `{}`)))
	}
	h := newHost("/root/coder_a")
	a, _ := newCoder(t, m, h)
	a.Deliver(assign("loop"))
	err := runUntilIdle(t, a, h)
	if !errors.Is(err, ErrTurnLimit) || len(m.reqs) != 10 {
		t.Fatalf("err %v after %d turns", err, len(m.reqs))
	}
}

func TestWaitCountAndFrom(t *testing.T) {
	m := &fakeModel{turns: []model.Turn{
		calls(call("w1", "wait", `{"count":2,"from":["/root/coder_b"]}`)),
		{Text: "got them"},
	}}
	h := newHost("/root/coder_a")
	a, _ := newCoder(t, m, h)
	a.Deliver(assign("wait for two"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	select {
	case <-h.waiting:
	case err := <-errc:
		t.Fatal(err)
	}
	// Two messages from /root do not satisfy "from coder_b"; the third does.
	for i, from := range []string{"/root", "/root", "/root/coder_b"} {
		env, _ := messaging.NewEnvelope("r-20261123-test", messaging.MustParseAddress(from), messaging.MustParseAddress("/root/coder_a"), 1, uint64(10+i), time.Now(), messaging.Ask{Question: fmt.Sprint("q", i)})
		a.Deliver(env)
	}
	select {
	case <-h.idle:
	case err := <-errc:
		t.Fatal(err)
	}
	res := h.results()
	if len(res) != 1 || strings.Count(res[0].Output, "[message ") != 3 || !strings.Contains(res[0].Output, "question: q2") {
		t.Fatalf("wait result %+v", res)
	}
}

func TestRestoreRebuildsConversationAndAnswersInterruptedCalls(t *testing.T) {
	patch := "*** Begin Patch\n*** Update File: a.go\n@@\n-var X = 1\n+var X = 3\n*** End Patch"
	m := &fakeModel{turns: []model.Turn{
		calls(call("c1", "read_file", `{"path":"a.go"}`)),
		calls(call("c2", "read_file", `{"path":"a.go"}`), call("c3", "apply_patch", mustJSON(map[string]string{"patch": patch}))),
	}, block: true, blocked: make(chan struct{})}
	h := newHost("/root/coder_a")
	a, wt := newCoder(t, m, h)
	blocked := m.blocked
	a.Deliver(assign("restore me"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	// Stop as soon as the second model turn is recorded: its calls have no
	// results in the journal, as after a crash.
	// The agent has run both turns' calls once it asks for a third turn.
	select {
	case <-blocked:
	case err := <-done:
		t.Fatalf("agent ended early: %v", err)
	}
	cancel()
	<-done
	// Cut the journal right after the second model_turn.
	h.mu.Lock()
	var cut []messaging.Event
	for _, ev := range h.events {
		cut = append(cut, ev)
		if ev.Type == messaging.EvModelTurn && len(cut) > 3 {
			break
		}
	}
	h.mu.Unlock()

	m2 := &fakeModel{turns: []model.Turn{{Text: "resumed"}}}
	h2 := newHost("/root/coder_a")
	role, _ := LookupRole("coder")
	b, err := New(Config{Run: "r-20261123-test", Address: messaging.MustParseAddress("/root/coder_a"), Role: role, Model: m2, Worktree: wt, Host: h2, MaxTurns: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Restore(cut); err != nil {
		t.Fatal(err)
	}
	if !b.Delivered(assign("x").ID) {
		t.Fatal("restored agent forgot the delivered assign")
	}
	if err := runUntilIdle(t, b, h2); err != nil {
		t.Fatal(err)
	}
	res := h2.results()
	if len(res) != 2 || res[0].CallID != "c2" || res[0].IsError || res[1].CallID != "c3" || !strings.Contains(res[1].Output, "applied before the restart") {
		t.Fatalf("pending calls answered as %+v", res)
	}
	// The resumed model sees the whole conversation: task, turn 1, its
	// result, turn 2 and the two answers.
	in := m2.reqs[0].Input
	if len(in) != 6 || in[0].Role != model.RoleUser || in[3].Role != model.RoleAssistant || len(in[3].ToolCalls) != 2 {
		t.Fatalf("restored input: %+v", in)
	}
}
