package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

var coderA = messaging.MustParseAddress("/root/coder_a")

func ev(seq uint64, agent messaging.Address, p messaging.Payload) messaging.Event {
	e := messaging.NewEvent(testRun, agent, 1, t0.Add(time.Duration(seq)*time.Second), p)
	e.Seq = seq
	return e
}

func statusOf(t *testing.T, m *Model, a messaging.Address) string {
	t.Helper()
	for _, v := range m.Snapshot().Agents {
		if v.Address == a {
			return v.Status
		}
	}
	t.Fatalf("no agent %s", a)
	return ""
}

func TestStatusTransitions(t *testing.T) {
	started := messaging.AgentStarted{Role: "coder", Parent: messaging.Root, Model: "m"}
	tests := []struct {
		name   string
		events []messaging.Payload
		want   string
	}{
		{"started is idle", []messaging.Payload{started}, StatusIdle},
		{"turn_started → thinking", []messaging.Payload{started, messaging.TurnStarted{Turn: 1}}, StatusThinking},
		{"shell → running", []messaging.Payload{started, messaging.ToolCallStarted{CallID: "1", Name: "shell", Arguments: `{"command":"ls"}`}}, StatusRunning},
		{"run_tests → running", []messaging.Payload{started, messaging.ToolCallStarted{CallID: "1", Name: "run_tests", Arguments: `{}`}}, StatusRunning},
		{"read stays thinking", []messaging.Payload{started, messaging.TurnStarted{Turn: 1}, messaging.ToolCallStarted{CallID: "1", Name: "read", Arguments: `{"path":"a.go"}`}}, StatusThinking},
		{"tool result after shell → thinking", []messaging.Payload{started, messaging.ToolCallStarted{CallID: "1", Name: "shell", Arguments: `{}`}, messaging.ToolResult{CallID: "1", Name: "shell"}}, StatusThinking},
		{"approval_requested → waiting_approval", []messaging.Payload{started, messaging.ApprovalRequested{ID: "a1", Command: []string{"curl"}}}, StatusWaitingApproval},
		{"approved → running", []messaging.Payload{started, messaging.ApprovalRequested{ID: "a1"}, messaging.ApprovalDecided{ID: "a1", Approved: true}}, StatusRunning},
		{"denied → thinking", []messaging.Payload{started, messaging.ApprovalRequested{ID: "a1"}, messaging.ApprovalDecided{ID: "a1"}}, StatusThinking},
		{"waiting → waiting", []messaging.Payload{started, messaging.Waiting{}}, StatusWaiting},
		{"agent_idle → idle", []messaging.Payload{started, messaging.TurnStarted{}, messaging.AgentIdle{}}, StatusIdle},
		{"agent_finished → done", []messaging.Payload{started, messaging.AgentFinished{}}, StatusDone},
		{"agent_failed → failed", []messaging.Payload{started, messaging.AgentFailed{Error: "boom"}}, StatusFailed},
		{"agent_paused → paused", []messaging.Payload{started, messaging.TurnStarted{}, messaging.AgentPaused{}}, StatusPaused},
		{"paused hides later activity", []messaging.Payload{started, messaging.AgentPaused{}, messaging.TurnStarted{}}, StatusPaused},
		{"resumed shows the status behind the pause", []messaging.Payload{started, messaging.AgentPaused{}, messaging.Waiting{}, messaging.AgentResumed{}}, StatusWaiting},
		{"failing while paused → failed", []messaging.Payload{started, messaging.AgentPaused{}, messaging.AgentFailed{}}, StatusFailed},
		{"restart after failure", []messaging.Payload{started, messaging.AgentFailed{}, started, messaging.TurnStarted{}}, StatusThinking},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewModel(nil)
			for i, p := range tt.events {
				m.Apply(ev(uint64(i+1), coderA, p))
			}
			if got := statusOf(t, m, coderA); got != tt.want {
				t.Errorf("status = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestApprovalsInbox(t *testing.T) {
	m := NewModel(nil)
	b := messaging.MustParseAddress("/root/b")
	m.Apply(ev(1, coderA, messaging.ApprovalRequested{ID: "a1", Command: []string{"curl", "x"}}))
	m.Apply(ev(2, b, messaging.ApprovalRequested{ID: "a2", Command: []string{"rm", "-rf", "build"}}))
	m.Apply(ev(3, coderA, messaging.ApprovalRequested{ID: "a3", Command: []string{"ssh"}}))
	m.Apply(ev(4, messaging.Address{}, messaging.ApprovalDecided{ID: "a1", Approved: true}))
	m.Apply(ev(5, coderA, messaging.ApprovalDecided{ID: "unknown"}))
	s := m.Snapshot()
	var ids []string
	for _, a := range s.Approvals {
		ids = append(ids, a.ID)
	}
	if fmt.Sprint(ids) != "[a2 a3]" {
		t.Fatalf("pending = %v, want [a2 a3] oldest first", ids)
	}
	if s.Approvals[0].Agent != b {
		t.Errorf("a2 agent = %s", s.Approvals[0].Agent)
	}
}

func TestUsageCostAndHeader(t *testing.T) {
	m := NewModel(testPrices)
	m.Apply(ev(1, messaging.Address{}, messaging.RunStarted{Task: "t", Repo: "r", BaseBranch: "main", ResultBranch: "res"}))
	m.Apply(ev(2, coderA, messaging.AgentStarted{Role: "coder", Model: "m1"}))
	m.Apply(ev(3, coderA, messaging.ModelTurn{Turn: 1, Usage: messaging.Usage{Input: 1_000_000, Output: 250_000}}))
	m.Apply(ev(4, messaging.Root, messaging.ModelTurn{Turn: 1, Model: "m2", Usage: messaging.Usage{Input: 500_000}}))
	m.Apply(ev(5, coderA, messaging.TurnStarted{Turn: 2}))
	m.Apply(ev(6, messaging.Address{}, messaging.RunFinished{Status: messaging.StatusSucceeded, ResultBranch: "final"}))
	s := m.Snapshot()
	h := s.Header
	if h.Task != "t" || h.Status != messaging.StatusSucceeded || h.ResultBranch != "final" || h.Finished.IsZero() {
		t.Errorf("header = %+v", h)
	}
	if h.Usage.Input != 1_500_000 || h.Usage.Output != 250_000 || h.CostUSD != 2.5 {
		t.Errorf("usage %+v cost %v, want 1.5M/250k $2.5", h.Usage, h.CostUSD)
	}
	if h.Working != 1 || h.Total != 2 {
		t.Errorf("working %d/%d, want 1/2", h.Working, h.Total)
	}
	if s.Agents[1].CostUSD != 2 || s.Agents[0].Model != "m2" {
		t.Errorf("agents = %+v", s.Agents)
	}
	if NewModel(nil).Prices != nil {
		t.Error("nil prices")
	}
}

func TestTreeOrderAndSnapshotImmutable(t *testing.T) {
	m := NewModel(nil)
	for i, a := range []string{"/root/b", "/root/a_x/c", "/root", "/root/a", "/root/a/z", "/root/a_x"} {
		m.Apply(ev(uint64(i+1), messaging.MustParseAddress(a), messaging.AgentStarted{Role: "r"}))
	}
	s := m.Snapshot()
	var got []string
	for _, a := range s.Agents {
		got = append(got, a.Address.String())
	}
	want := "[/root /root/a /root/a/z /root/a_x /root/a_x/c /root/b]"
	if fmt.Sprint(got) != want {
		t.Fatalf("order = %v, want %v", got, want)
	}
	m.Apply(ev(7, messaging.Root, messaging.AgentFailed{Error: "x"}))
	if s.Agents[0].Status != StatusIdle {
		t.Error("a snapshot changed after Apply")
	}
	if m.Version() != 7 || m.Seq() != 7 {
		t.Errorf("version %d seq %d", m.Version(), m.Seq())
	}
}

func TestFlowAndDetail(t *testing.T) {
	s := teamScript()
	m := NewModel(nil)
	for _, e := range s.events {
		m.Apply(e)
	}
	flow := m.Flow("", 100)
	if len(flow) != 7 || flow[0].Kind != "assign" || flow[6].Kind != "review" {
		t.Fatalf("flow = %+v", flow)
	}
	if got := m.Flow("tester", 100); len(got) != 2 {
		t.Errorf("flow filtered by tester has %d items, want 2", len(got))
	}
	if got := m.Flow("", 2); len(got) != 2 || got[1].Kind != "review" {
		t.Errorf("flow limited to 2 = %+v, want the newest two", got)
	}
	d, ok := m.Detail(messaging.Root)
	if !ok {
		t.Fatal("no detail of /root")
	}
	var review *Entry
	for i, e := range d.Entries {
		if e.Kind == EntryReceived && strings.HasPrefix(e.Title, "← /root/reviewer review:") {
			review = &d.Entries[i]
		}
	}
	if review == nil || !strings.Contains(review.Body, "sum.go:3: start from 0, not 1") {
		t.Errorf("review comments not in /root's detail: %+v", d.Entries)
	}
	if _, ok := m.Detail(messaging.MustParseAddress("/root/nobody")); ok {
		t.Error("detail of an unknown agent")
	}
}

func TestBoundedMemory(t *testing.T) {
	m := NewModel(nil)
	m.Apply(ev(1, coderA, messaging.AgentStarted{Role: "coder"}))
	long := make([]byte, 10_000)
	for i := range long {
		long[i] = 'x'
	}
	for i := 2; i < 2+3*maxEntries; i++ {
		m.Apply(ev(uint64(i), coderA, messaging.ToolResult{CallID: "c", Name: "shell", Output: string(long)}))
	}
	for i := range maxFlow + 10 {
		m.Apply(ev(uint64(1000+i), coderA, messaging.MessageSent{Envelope: messaging.Envelope{From: coderA, To: messaging.Root, Kind: messaging.KindAsk, Body: []byte(`{"question":"q"}`)}}))
	}
	d, _ := m.Detail(coderA)
	if len(d.Entries) > maxEntries || d.Dropped == 0 {
		t.Errorf("%d entries kept, %d dropped", len(d.Entries), d.Dropped)
	}
	for _, e := range d.Entries {
		if len(e.Body) > maxOutput+40 {
			t.Fatalf("entry body of %d bytes kept", len(e.Body))
		}
	}
	if f := m.Flow("", 1<<20); len(f) != maxFlow || f[len(f)-1].Seq != uint64(1000+maxFlow+9) {
		t.Errorf("flow keeps %d items ending at %d", len(f), f[len(f)-1].Seq)
	}
}

func TestSuspendedRunResumes(t *testing.T) {
	m := NewModel(nil)
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	m.Apply(messaging.Event{Seq: 1, Run: "r-1", Time: at, Type: messaging.EvRunSuspended, Data: []byte(`{"reason":"stopped by the user"}`)})
	if s := m.Snapshot().Header.Status; s != "suspended" {
		t.Fatalf("status %q after run_suspended", s)
	}
	m.Apply(messaging.NewEvent("r-1", messaging.Address{}, 0, at, messaging.Warning{Text: "resumed by pid 7"}))
	if s := m.Snapshot().Header.Status; s != "running" {
		t.Fatalf("status %q after the run went on", s)
	}
}
