package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/actors/model/scripted"
	"github.com/cadre-dev/cadre/messaging"
)

// These tests drive a real agent through the real model client and the
// scripted server over HTTP.

var wires = []model.WireAPI{model.WireChat, model.WireResponses}

// bodyRecorder keeps every request body (and its X-Cadre-Purpose) before
// the scripted server answers it.
type bodyRecorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []recordedBody
}

type recordedBody struct {
	purpose string
	body    []byte
}

func (rec *bodyRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recordedBody{purpose: r.Header.Get("X-Cadre-Purpose"), body: body})
	rec.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec.next.ServeHTTP(w, r)
}

func (rec *bodyRecorder) turns() [][]byte {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out [][]byte
	for _, r := range rec.reqs {
		if r.purpose == "" {
			out = append(out, r.body)
		}
	}
	return out
}

// scriptedAgent starts the scripted server behind a recorder and a coder
// at /root/coder_a talking to it over wire.
func scriptedAgent(t *testing.T, script string, wire model.WireAPI, cfg Config) (*Agent, *fakeHost, *scripted.Server, *bodyRecorder) {
	t.Helper()
	s, err := scripted.ParseScript([]byte(script))
	if err != nil {
		t.Fatal(err)
	}
	srv := scripted.NewServer(s)
	rec := &bodyRecorder{next: srv}
	ts := httptest.NewServer(rec)
	t.Cleanup(ts.Close)
	client, err := model.New(model.Config{BaseURL: ts.URL + "/v1", Model: scripted.ModelID, WireAPI: wire, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	wt := t.TempDir()
	var lines strings.Builder
	for i := range 30 {
		fmt.Fprintf(&lines, "// line %02d of a file the agent reads again and again\n", i)
	}
	if err := os.WriteFile(filepath.Join(wt, "a.go"), []byte("package a\n\n"+lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHost("/root/coder_a")
	role, _ := LookupRole("coder")
	cfg.Run, cfg.Address, cfg.Role, cfg.ModelName, cfg.Model = "r-20261123-test", messaging.MustParseAddress("/root/coder_a"), role, scripted.ModelID, client
	cfg.Worktree, cfg.Host, cfg.MaxTurns = wt, h, 40
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a, h, srv, rec
}

// scriptJSON is a one-agent script for /root/coder_a.
func scriptJSON(t *testing.T, window int, turns []scripted.Turn) string {
	t.Helper()
	b, err := json.Marshal(scripted.Script{Agents: map[string][]scripted.Turn{"/root/coder_a": turns}, ContextWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func toolTurn(calls ...scripted.ToolCall) scripted.Turn { return scripted.Turn{ToolCalls: calls} }

func tc(name, args string) scripted.ToolCall {
	return scripted.ToolCall{Name: name, Arguments: json.RawMessage(args)}
}

// waitIdle waits for the agent's next agent_idle event.
func waitIdle(t *testing.T, h *fakeHost, errc <-chan error) {
	t.Helper()
	select {
	case <-h.idle:
	case err := <-errc:
		t.Fatalf("agent stopped: %v", err)
	}
}

// TestRequestsRepeatThePreviousPrompt checks, on the HTTP bodies of a
// 21-turn conversation with every kind of item (tool calls, several calls
// in a turn, tool errors, final text, a message that wakes the agent),
// that each request's prompt starts with the whole prompt of the one
// before, and that every other body field stays the same (see
// model.PromptPrefix for what the prompt is).
func TestRequestsRepeatThePreviousPrompt(t *testing.T) {
	turns := []scripted.Turn{
		toolTurn(tc("list_files", `{}`)),
		toolTurn(tc("read_file", `{"path":"a.go"}`)),
		toolTurn(tc("search", `{"pattern":"line 0[1-3]"}`), tc("read_file", `{"path":"a.go","offset":3,"limit":2}`)),
		toolTurn(tc("apply_patch", `{"patch":"*** Begin Patch\n*** Add File: b.go\n+package a\n*** End Patch"}`)),
		toolTurn(tc("shell", `{"command":["go","test","./..."]}`)),
		toolTurn(tc("read_file", `{"path":"missing.go"}`)),
		toolTurn(scripted.ToolCall{Name: "read_file", RawArguments: ptr(`{"path": `)}),
		toolTurn(tc("ask", `{"to":"/root","question":"which package?"}`)),
		{Text: "Looking at b.go.", ToolCalls: []scripted.ToolCall{tc("read_file", `{"path":"b.go"}`)}},
		{Text: "First part done."},
	}
	for i := range 10 {
		turns = append(turns, toolTurn(tc("read_file", fmt.Sprintf(`{"path":"a.go","offset":%d,"limit":3}`, i+1))))
	}
	turns = append(turns, toolTurn(tc("report", `{"status":"done","summary":"done"}`)))
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			a, h, _, rec := scriptedAgent(t, scriptJSON(t, 0, turns), wire, Config{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			a.Deliver(assign("split a.go"))
			go func() { errc <- a.Run(ctx) }()
			waitIdle(t, h, errc) // after "First part done."
			more, _ := messaging.NewEnvelope("r-20261123-test", messaging.Root, messaging.MustParseAddress("/root/coder_a"), 1, 2, time.Now(), messaging.Assign{Task: "now read it in pieces", Context: "line by line\nthree at a time"})
			a.Deliver(more)
			waitIdle(t, h, errc) // after the report
			cancel()

			bodies := rec.turns()
			if len(bodies) != len(turns) {
				t.Fatalf("%d requests, want %d", len(bodies), len(turns))
			}
			for i := 1; i < len(bodies); i++ {
				_, prevTotal, err := model.PromptPrefix(model.WireAPI(wire), bodies[i-1], bodies[i-1])
				if err != nil {
					t.Fatal(err)
				}
				common, total, err := model.PromptPrefix(model.WireAPI(wire), bodies[i-1], bodies[i])
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if common != prevTotal || total <= prevTotal {
					t.Fatalf("request %d repeats %d bytes of the previous prompt's %d (its own: %d)\nprevious: %s\nthis: %s", i, common, prevTotal, total, bodies[i-1], bodies[i])
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestCompactionThroughScriptedServer runs a long conversation against a
// server with a small context window: the agent compacts before it is
// refused, and the scripted turns still play in order.
func TestCompactionThroughScriptedServer(t *testing.T) {
	const n = 16
	var turns []scripted.Turn
	for i := range n {
		turns = append(turns, toolTurn(tc("read_file", fmt.Sprintf(`{"path":"a.go","offset":%d}`, i+1))))
	}
	turns = append(turns, toolTurn(tc("report", `{"status":"done","summary":"read it all"}`)))
	const window = 4000 // tokens; the first request is about 1150
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			a, h, srv, _ := scriptedAgent(t, scriptJSON(t, window, turns), wire, Config{ContextWindow: window})
			a.Deliver(assign("read a.go"))
			if err := runUntilIdle(t, a, h); err != nil {
				t.Fatal(err)
			}
			var compactions, next int
			for _, s := range srv.Log() {
				if s.Status != http.StatusOK {
					t.Fatalf("request refused: %+v", s)
				}
				if s.Purpose == scripted.PurposeCompact {
					compactions++
					continue
				}
				if s.Turn != next {
					t.Fatalf("played turn %d, want %d", s.Turn, next)
				}
				next++
			}
			if next != n+1 || compactions < 2 {
				t.Fatalf("%d turns, %d compactions", next, compactions)
			}
			if got := len(h.payloads(messaging.EvCompacted)); got != compactions {
				t.Fatalf("%d compacted events for %d compaction requests", got, compactions)
			}
			// Each model turn got the scripted turn of its number: the
			// scripted call ids end in the turn index.
			for i, ev := range h.payloads(messaging.EvModelTurn) {
				var mt messaging.ModelTurn
				if err := ev.Decode(&mt); err != nil {
					t.Fatal(err)
				}
				if mt.Turn != i || !strings.HasSuffix(mt.ToolCalls[0].ID, fmt.Sprintf("_%d_0", i)) || mt.ToolCalls[0].Arguments != turns[i].ToolCalls[0].ArgumentsText() {
					t.Fatalf("model turn %d played %+v", i, mt)
				}
			}
			// The last summary says what it replaced.
			var c messaging.Compacted
			evs := h.payloads(messaging.EvCompacted)
			if err := evs[len(evs)-1].Decode(&c); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.Summary, "scripted summary of ") || c.Usage.Input == 0 || c.InputTokens < window*8/10 {
				t.Fatalf("last compaction %+v", c)
			}
		})
	}
}
