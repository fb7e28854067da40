package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cadre-dev/cadre/actors"
	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/actors/model/scripted"
	"github.com/cadre-dev/cadre/messaging"
)

// Prompt measure (9): what each built-in role's first model request weighs
// (the HTTP body the client sends on the responses wire, from
// actors.FirstRequest and model.RequestBody), next to its tool
// declarations alone; and how much of each request of a 20-turn coder
// conversation repeats the previous request's prompt (model.PromptPrefix),
// which is what a provider's prompt cache can serve, for both wire APIs.
// That share is bounded by what each turn adds (new items are not in any
// earlier prompt), so the target is on the share of the previous prompt
// each request repeats, which only a broken prefix lowers.

// prefixTurns is the length of the conversation of the prefix measure.
const prefixTurns = 20

// promptBudget is the target for a role's first request, in estimated
// tokens: 2,000 (8 KB) holds the planner, whose eleven tools (plan,
// spawn, every message kind) are ~85 % of its request.
const promptBudget = 2000

type rolePrompt struct {
	Role        string
	Bytes       int // the whole body
	Tokens      int // EstimateTokens of the body
	ToolsBytes  int // its "tools" array
	InstrBytes  int // its instructions text
	ToolsTokens int
}

type prefixShare struct {
	Wire     model.WireAPI
	Requests int
	// Median and Min of the share of each request's prompt that repeats
	// the previous request's prompt (what a prompt cache can serve);
	// Ideal* the same if every request repeated all of the previous prompt
	// (previous size / this size: the rest is new items).
	Median, Min           float64
	IdealMedian, IdealMin float64
	// PrevMin is the least share of a previous prompt that the next
	// request repeated: 1 when no request broke the prefix.
	PrevMin float64
}

type promptResult struct {
	Roles  []rolePrompt
	Prefix []prefixShare
}

func measurePrompt(cfg config) (promptResult, error) {
	_ = cfg // the measure is cheap: the same in quick and full runs
	var res promptResult
	for _, role := range actors.RoleNames() {
		req, err := actors.FirstRequest(role, actors.FirstRequestOptions{})
		if err != nil {
			return res, err
		}
		body, err := model.RequestBody(model.Config{Model: "gpt-5-codex", WireAPI: model.WireResponses}, req)
		if err != nil {
			return res, fmt.Errorf("first request of %s: %w", role, err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return res, fmt.Errorf("first request of %s: %w", role, err)
		}
		res.Roles = append(res.Roles, rolePrompt{Role: role, Bytes: len(body), Tokens: actors.EstimateTokens(body),
			ToolsBytes: len(fields["tools"]), ToolsTokens: actors.EstimateTokens(fields["tools"]), InstrBytes: len(req.Instructions)})
	}
	for _, wire := range []model.WireAPI{model.WireResponses, model.WireChat} {
		p, err := measurePrefix(wire)
		if err != nil {
			return res, fmt.Errorf("prefix over %s: %w", wire, err)
		}
		res.Prefix = append(res.Prefix, p)
	}
	return res, nil
}

func (r promptResult) rows() []row {
	var rows []row
	for _, p := range r.Roles {
		rows = append(rows, row{
			measure:   "9 first request " + p.Role,
			figure:    fmt.Sprintf("%d B ~%d tok", p.Bytes, p.Tokens),
			reference: fmt.Sprintf("tools %d B ~%d tok", p.ToolsBytes, p.ToolsTokens),
			ratio:     fmt.Sprintf("%.0f%% tools", 100*float64(p.ToolsBytes)/float64(p.Bytes)),
			target:    check(p.Tokens <= promptBudget, fmt.Sprintf("<= %d tok", promptBudget)),
			method:    fmt.Sprintf("responses body of the role's first request (instructions %d B, tools, task); tokens = bytes/4", p.InstrBytes),
		})
	}
	for _, p := range r.Prefix {
		rows = append(rows, row{
			measure:   "9 prompt prefix " + string(p.Wire),
			figure:    fmt.Sprintf("median %.1f%%, min %.1f%%", 100*p.Median, 100*p.Min),
			reference: fmt.Sprintf("median %.1f%%, min %.1f%% ideal", 100*p.IdealMedian, 100*p.IdealMin),
			ratio:     fmt.Sprintf("%.1f%% of prev", 100*p.PrevMin),
			target:    check(p.PrevMin >= 0.95, ">= 95% of prev"),
			method: fmt.Sprintf("share of each of %d requests of a %d-turn coder conversation (real agent, client, scripted server) that repeats the previous request's prompt (model.PromptPrefix); ideal = previous size / size, the rest being new items; ratio = least share of a previous prompt repeated",
				p.Requests, prefixTurns),
		})
	}
	return rows
}

// measurePrefix drives a coder through prefixTurns turns over wire and
// compares each request body with the previous one.
func measurePrefix(wire model.WireAPI) (prefixShare, error) {
	res := prefixShare{Wire: wire}
	wt, err := os.MkdirTemp("", "cadre-bench-prompt-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(wt)
	var src strings.Builder
	src.WriteString("package sum\n\n")
	for i := range 60 {
		fmt.Fprintf(&src, "// Sum%02d adds its arguments.\nfunc Sum%02d(a, b int) int { return a + b }\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(wt, "sum.go"), []byte(src.String()), 0o644); err != nil {
		return res, err
	}
	script, err := prefixScript()
	if err != nil {
		return res, err
	}
	rec := &bodies{next: scripted.NewServer(script)}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	client, err := model.New(model.Config{BaseURL: ts.URL + "/v1", Model: scripted.ModelID, WireAPI: wire, MaxAttempts: 1})
	if err != nil {
		return res, err
	}
	role, err := actors.LookupRole("coder")
	if err != nil {
		return res, err
	}
	addr := messaging.MustParseAddress("/root/coder_a")
	h := &benchHost{addr: addr, idle: make(chan struct{}, 1)}
	a, err := actors.New(actors.Config{Run: "r-bench", Address: addr, Role: role, ModelName: scripted.ModelID, Model: client, Worktree: wt, Host: h, MaxTurns: prefixTurns + 1})
	if err != nil {
		return res, err
	}
	env, err := messaging.NewEnvelope("r-bench", messaging.Root, addr, 1, 1, time.Unix(0, 0), messaging.Assign{Task: "make Sum07 saturate at MaxInt"})
	if err != nil {
		return res, err
	}
	a.Deliver(env)
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	select {
	case <-h.idle:
		cancel()
		<-errc
	case err := <-errc:
		if err == nil {
			err = errors.New("agent stopped before it reported")
		}
		return res, err
	}
	bs := rec.all()
	if len(bs) != prefixTurns {
		return res, fmt.Errorf("%d requests, want %d", len(bs), prefixTurns)
	}
	var shares, ideal []float64
	res.PrevMin = 1
	for i := 1; i < len(bs); i++ {
		_, prevTotal, err := model.PromptPrefix(wire, bs[i-1], bs[i-1])
		if err != nil {
			return res, err
		}
		common, total, err := model.PromptPrefix(wire, bs[i-1], bs[i])
		if err != nil {
			return res, fmt.Errorf("request %d: %w", i, err)
		}
		shares = append(shares, float64(common)/float64(total))
		ideal = append(ideal, float64(prevTotal)/float64(total))
		res.PrevMin = min(res.PrevMin, float64(common)/float64(prevTotal))
	}
	res.Requests = len(shares)
	res.Median, res.Min = medianMin(shares)
	res.IdealMedian, res.IdealMin = medianMin(ideal)
	return res, nil
}

func medianMin(xs []float64) (med, lo float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2], s[0]
}

// prefixScript is the coder's conversation: reading, searching, listing,
// patching, a command that cannot run, then a report.
func prefixScript() (*scripted.Script, error) {
	call := func(name, args string) scripted.Turn {
		return scripted.Turn{ToolCalls: []scripted.ToolCall{{Name: name, Arguments: json.RawMessage(args)}}}
	}
	turns := []scripted.Turn{
		call("list_files", `{}`),
		call("search", `{"pattern":"func Sum07"}`),
	}
	for i := 0; len(turns) < prefixTurns-4; i++ {
		turns = append(turns, call("read_file", fmt.Sprintf(`{"path":"sum.go","offset":%d,"limit":12}`, 1+12*i)))
	}
	patch := `*** Begin Patch\n*** Update File: sum.go\n@@\n-func Sum07(a, b int) int { return a + b }\n+func Sum07(a, b int) int { return min(a+b, math.MaxInt) }\n*** End Patch`
	turns = append(turns,
		call("apply_patch", `{"patch":"`+patch+`"}`),
		call("shell", `{"command":["go","test","./..."]}`),
		scripted.Turn{Text: "Sum07 saturates; the tests could not run here.", ToolCalls: []scripted.ToolCall{{Name: "read_file", Arguments: json.RawMessage(`{"path":"sum.go","offset":15,"limit":3}`)}}},
		call("report", `{"status":"done","summary":"Sum07 saturates at MaxInt"}`),
	)
	raw, err := json.Marshal(scripted.Script{Agents: map[string][]scripted.Turn{"/root/coder_a": turns}})
	if err != nil {
		return nil, err
	}
	return scripted.ParseScript(raw)
}

// bodies keeps the body of every request it passes on.
type bodies struct {
	next http.Handler
	mu   sync.Mutex
	b    [][]byte
}

func (r *bodies) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.b = append(r.b, b)
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(b))
	r.next.ServeHTTP(w, req)
}

func (r *bodies) all() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.b)
}

// benchHost is the least an agent needs to run alone: it keeps nothing
// and signals the first agent_idle.
type benchHost struct {
	addr messaging.Address
	idle chan struct{}
	mu   sync.Mutex
	seq  uint64
}

func (h *benchHost) Record(_ context.Context, ps ...messaging.Payload) error {
	for _, p := range ps {
		if p.EventType() == messaging.EvAgentIdle {
			select {
			case h.idle <- struct{}{}:
			default:
			}
		}
	}
	return nil
}

func (h *benchHost) Send(_ context.Context, to messaging.Address, body messaging.Body) (messaging.Envelope, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	if to.IsZero() {
		to, _ = h.addr.Parent()
	}
	return messaging.NewEnvelope("r-bench", h.addr, to, 1, h.seq, time.Unix(0, 0), body)
}

func (h *benchHost) Spawn(context.Context, string, string, string, string) (messaging.Address, error) {
	return messaging.Address{}, errors.New("bench: no spawning")
}
func (h *benchHost) SubmitPlan(context.Context, json.RawMessage) (string, error) {
	return "", errors.New("bench: no plans")
}
func (h *benchHost) Snapshot(context.Context) error                    { return nil }
func (h *benchHost) CheckoutForTest(context.Context, string) error     { return nil }
func (h *benchHost) FinishRun(context.Context, messaging.Report) error { return nil }
func (h *benchHost) Acquire(context.Context) (func(), error)           { return func() {}, nil }
func (h *benchHost) Approve(context.Context, []string, string) (messaging.ApprovalDecided, error) {
	return messaging.ApprovalDecided{}, errors.New("bench: no approvals")
}
