package actors

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
)

// growingModel answers turns with list_files calls, then a report, and
// reports 500 input tokens per input item, so its input grows with the
// conversation. Compaction requests get a numbered summary, or failErr.
type growingModel struct {
	calls   int // tool-call turns before the report
	failErr error

	mu        sync.Mutex
	reqs      []model.Request // every request, in order
	turns     int
	summaries int
}

func (m *growingModel) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	req.Input = append([]model.Item(nil), req.Input...)
	m.reqs = append(m.reqs, req)
	t := model.Turn{Model: "gpt-5-mini", Usage: model.Usage{InputTokens: int64(500 * len(req.Input)), OutputTokens: 7}, Started: time.Now(), Finished: time.Now()}
	if req.Purpose == model.PurposeCompact {
		if m.failErr != nil {
			return model.Turn{}, m.failErr
		}
		m.summaries++
		t.Text = fmt.Sprintf("summary %d of %d items", m.summaries, len(req.Input)-1)
		return t, nil
	}
	n := m.turns
	m.turns++
	if n < m.calls {
		t.ToolCalls = []model.ToolCall{call(fmt.Sprint("c", n), "list_files", `{}`)}
		return t, nil
	}
	t.ToolCalls = []model.ToolCall{call("done", "report", `{"status":"done","summary":"listed"}`)}
	return t, nil
}

// normal returns the agent's turn requests, without compaction requests.
func (m *growingModel) normal() []model.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []model.Request
	for _, r := range m.reqs {
		if r.Purpose == "" {
			out = append(out, r)
		}
	}
	return out
}

func (h *fakeHost) payloads(typ messaging.EventType) []messaging.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []messaging.Event
	for _, ev := range h.events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func newCompactingCoder(t *testing.T, m Model, h Host, limit int) *Agent {
	t.Helper()
	role, _ := LookupRole("coder")
	a, err := New(Config{Run: "r-20261123-test", Address: messaging.MustParseAddress("/root/coder_a"), Role: role, Model: m,
		Worktree: t.TempDir(), Host: h, MaxTurns: 30, ContextWindow: 1_000_000, AutoCompactTokens: limit})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCompactionReplacesOlderTurnsAndRestores(t *testing.T) {
	m := &growingModel{calls: 9}
	h := newHost("/root/coder_a")
	a := newCompactingCoder(t, m, h, 5000) // 10 input items
	a.Deliver(assign("list a lot"))
	if err := runUntilIdle(t, a, h); err != nil {
		t.Fatal(err)
	}

	// The task and 5 turns make 11 items (5500 tokens): the agent compacts
	// before turn 6, keeping turns 2-5. Turn 6 sends 9 items; turn 7 sends
	// 11 and the agent compacts again before turn 8, keeping turns 4-7.
	var got []messaging.Compacted
	for _, ev := range h.payloads(messaging.EvCompacted) {
		var c messaging.Compacted
		if err := ev.Decode(&c); err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	want := []messaging.Compacted{
		{Turn: 6, Items: 5, Turns: 2, Summary: "summary 1 of 5 items", InputTokens: 5500, Model: "gpt-5-mini", Usage: messaging.Usage{Input: 3000, Output: 7}},
		{Turn: 8, Items: 5, Turns: 4, Summary: "summary 2 of 5 items", InputTokens: 5500, Model: "gpt-5-mini", Usage: messaging.Usage{Input: 3000, Output: 7}},
	}
	for i := range got {
		if got[i].CostUSD <= 0 {
			t.Errorf("compaction %d has no cost: %+v", i, got[i])
		}
		got[i].CostUSD = 0
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("compacted events:\n got %+v\nwant %+v", got, want)
	}

	normal := m.normal()
	if len(normal) != 10 {
		t.Fatalf("%d turn requests, want 10", len(normal))
	}
	// The summary request repeats turn 5's request (instructions, tools,
	// the 5 older items) and adds the instruction.
	sum := m.reqs[6]
	if sum.Purpose != model.PurposeCompact || sum.Instructions != normal[5].Instructions || !reflect.DeepEqual(sum.Tools, normal[5].Tools) ||
		!reflect.DeepEqual(sum.Input[:5], normal[5].Input[:5]) || len(sum.Input) != 6 || sum.Input[5].Text != compactInstruction {
		t.Fatalf("summary request: %+v", sum)
	}
	// Turn 6 sends the summary item, then turns 2-5 unchanged.
	in6 := normal[6].Input
	if len(in6) != 9 || in6[0].Role != model.RoleUser || in6[0].Text != fmt.Sprintf(compactedHeaderFormat, 2)+"summary 1 of 5 items" ||
		!reflect.DeepEqual(in6[1:7], normal[5].Input[5:]) || in6[1].ToolCalls[0].ID != "c2" {
		t.Fatalf("turn 6 input: %+v", in6)
	}
	if !strings.HasPrefix(normal[8].Input[0].Text, "[cadre: 4 earlier turns compacted]\n") {
		t.Fatalf("turn 8 input starts with %q", normal[8].Input[0].Text)
	}

	// An agent restored from the events has the same conversation.
	b := newCompactingCoder(t, &growingModel{}, newHost("/root/coder_a"), 5000)
	h.mu.Lock()
	events := append([]messaging.Event(nil), h.events...)
	h.mu.Unlock()
	if err := b.Restore(events); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.conv, a.conv) || b.turns != a.turns || b.compacted != 4 || b.turnSeen != a.turnSeen || b.lastInput != a.lastInput {
		t.Fatalf("restored conversation differs:\n got %+v\nwant %+v", b.conv, a.conv)
	}
	// Restored halfway, between the second compaction and turn 8, the next
	// request is what turn 8 sent.
	var cut []messaging.Event
	for i, ev := range events {
		if ev.Type == messaging.EvCompacted && strings.Contains(string(ev.Data), `"turn":8,`) {
			cut = events[:i+1]
		}
	}
	c := newCompactingCoder(t, &growingModel{}, newHost("/root/coder_a"), 5000)
	if err := c.Restore(cut); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.request(), normal[8]) {
		t.Fatalf("restored request differs from what turn 8 sent:\n got %+v\nwant %+v", c.request().Input, normal[8].Input)
	}
}

func TestCompactionFailureGoesOnUncompacted(t *testing.T) {
	m := &growingModel{calls: 7, failErr: errors.New("model: provider returned 400: too long")}
	h := newHost("/root/coder_a")
	a := newCompactingCoder(t, m, h, 5000)
	a.Deliver(assign("list a lot"))
	if err := runUntilIdle(t, a, h); err != nil {
		t.Fatal(err)
	}
	if n := len(h.payloads(messaging.EvCompacted)); n != 0 {
		t.Fatalf("%d compactions recorded", n)
	}
	// Compaction is tried after turn 5 and after turn 6, not twice in a row.
	warns := h.payloads(messaging.EvWarning)
	if len(warns) != 2 {
		t.Fatalf("%d warnings, want 2", len(warns))
	}
	var w messaging.Warning
	if err := warns[0].Decode(&w); err != nil || !strings.Contains(w.Text, "compacting the conversation before turn 6 failed") || !strings.Contains(w.Text, "too long") {
		t.Fatalf("warning %q (%v)", w.Text, err)
	}
	normal := m.normal()
	if len(normal) != 8 || len(normal[6].Input) != 13 || !strings.HasPrefix(normal[6].Input[0].Text, "[message ") {
		t.Fatalf("turn 6 was not sent uncompacted: %d requests", len(normal))
	}
}

func TestCompactLimit(t *testing.T) {
	tests := []struct {
		window, auto int
		want         int64
	}{
		{0, 0, 0},
		{100_000, 0, 80_000},
		{100_000, 50_000, 50_000},
		{0, 3000, 3000},
		{100_000, -1, 0},
	}
	for _, tt := range tests {
		if got := (Config{ContextWindow: tt.window, AutoCompactTokens: tt.auto}).compactLimit(); got != tt.want {
			t.Errorf("window %d auto %d: limit %d, want %d", tt.window, tt.auto, got, tt.want)
		}
	}
}

func TestCompactSplit(t *testing.T) {
	u := model.Item{Role: model.RoleUser, Text: "u"}
	as := model.Item{Role: model.RoleAssistant, ToolCalls: []model.ToolCall{{ID: "1", Name: "x"}, {ID: "2", Name: "x"}}}
	r := model.Item{Role: model.RoleTool, CallID: "1", Text: "r"}
	big := model.Item{Role: model.RoleTool, CallID: "2", Text: strings.Repeat("x", 4000)}
	tests := []struct {
		name  string
		conv  []model.Item
		limit int64
		want  int
	}{
		{"four turns: nothing older", []model.Item{u, as, r, r, as, r, r, as, r, r, as, r, r}, 10_000, 0},
		{"five turns: split before the second", []model.Item{u, as, r, r, as, r, r, as, r, r, as, r, r, as, r, r}, 10_000, 4},
		{"user items between turns stay with what follows", []model.Item{u, as, r, r, u, as, r, as, r, as, r, as, r}, 10_000, 4},
		{"heavy recent turns: fewer kept", []model.Item{u, as, r, big, as, r, big, as, r, big, as, r, big, as, r, big}, 2000, 13},
		{"one heavy turn: kept anyway", []model.Item{u, as, r, big, as, r, big}, 100, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Agent{conv: tt.conv}
			got := a.compactSplit(tt.limit)
			if got != tt.want {
				t.Fatalf("split %d, want %d", got, tt.want)
			}
			if got > 0 && tt.conv[got].Role == model.RoleTool {
				t.Fatal("split between a tool call and its result")
			}
		})
	}
}
