package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/actors/tools"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
)

// ErrTurnLimit ends an agent that used all its model turns.
var ErrTurnLimit = errors.New("turn limit reached")

// ErrModel wraps the error of a model turn that failed because the provider
// is unavailable (model.Unavailable: its retries are spent on 429/5xx,
// cut or stalled streams, or it refuses the credentials). The turn is not
// journaled, so the agent asks again when it is resumed. A request the
// provider rejects as wrong (400: context too long, ...) is not ErrModel.
var ErrModel = errors.New("the model provider failed")

// Model takes one model turn.
type Model interface {
	Turn(ctx context.Context, req model.Request) (model.Turn, error)
}

// Runner runs one command in the agent's sandbox.
type Runner interface {
	Run(ctx context.Context, cmd sandbox.Command) (sandbox.Result, error)
}

// Host is everything an agent does outside its own conversation and
// worktree files. The supervisor implements it for each agent.
type Host interface {
	// Record journals the agent's events; each counts once Record returned nil.
	Record(ctx context.Context, ps ...messaging.Payload) error
	// Send journals and routes a message from this agent. to is zero for
	// kinds whose recipient is implied (report, review). The returned
	// envelope is what was sent, with the fields cadre fills in.
	Send(ctx context.Context, to messaging.Address, body messaging.Body) (messaging.Envelope, error)
	// Spawn starts a child agent, idle until a message reaches it. subtask,
	// if not empty, is the plan subtask it works on.
	Spawn(ctx context.Context, role, name, task, subtask string) (messaging.Address, error)
	// SubmitPlan validates, journals and schedules a plan (or a revision
	// of it) and returns the schedule as the planner reads it.
	SubmitPlan(ctx context.Context, plan json.RawMessage) (string, error)
	// Snapshot commits the agent's worktree to its branch if it changed.
	Snapshot(ctx context.Context) error
	// CheckoutForTest puts the agent's worktree at commit.
	CheckoutForTest(ctx context.Context, commit string) error
	// FinishRun ends the run with the lead's report (only /root calls it).
	FinishRun(ctx context.Context, r messaging.Report) error
	// Acquire waits for one of the run's working slots.
	Acquire(ctx context.Context) (release func(), err error)
	// Approve asks a person whether the agent may run argv, and waits.
	Approve(ctx context.Context, argv []string, reason string) (messaging.ApprovalDecided, error)
}

// Config is what an agent is made of.
type Config struct {
	Run         string
	Address     messaging.Address
	Role        Role
	ModelName   string
	Model       Model
	Runner      Runner // nil: shell and run_tests answer that commands cannot run
	Worktree    string
	Project     string // AGENTS.md of the repository, given as project instructions
	MaxTurns    int
	TestCommand []string
	Host        Host
	Gate        *Gate // nil: every command may run (tests)
	// WriteAllowed, if set, says whether the agent may write a path of its
	// worktree (its plan subtask's lease); apply_patch refuses the others.
	WriteAllowed func(path string) error
	// ContextWindow is the model's context window in tokens, 0 if unknown.
	ContextWindow int
	// AutoCompactTokens is the input size, in tokens, at which the agent
	// compacts its conversation before its next turn (see compact.go).
	// 0 means 80% of ContextWindow, or never when the window is unknown;
	// a negative value turns compaction off.
	AutoCompactTokens int
}

// Agent is one agent's brain. Create it with New, feed it messages with
// Deliver, and drive it with Run.
type Agent struct {
	cfg   Config
	tools map[string]handler
	specs []model.Tool
	instr string

	// Conversation state, folded from events (see restore.go).
	conv        []model.Item
	turns       int
	idle        bool
	delivered   map[string]bool
	testQueue   []messaging.Envelope            // test requests not yet answered
	pendingCall []messaging.ToolCall            // calls of the last turn without a result (after a crash)
	waitBuf     map[string][]messaging.Envelope // messages a wait call took before its result was recorded
	sentBy      map[string]string               // tool call id → id of a message it sent
	lastInput   int64                           // input tokens the last model turn reported
	turnSeen    bool                            // a model turn was taken since the conversation began or was compacted
	compacted   int                             // assistant turns compacted away so far

	mu         sync.Mutex
	inbox      []messaging.Envelope
	signal     chan struct{}
	paused     bool
	cancelTurn context.CancelCauseFunc
}

type handler struct {
	spec      tools.Spec
	readOnly  bool
	retrySafe bool // may run again after a restart cut it off
	run       func(ctx context.Context, callID string, args json.RawMessage) (tools.Result, error)
}

// New builds an agent; it starts idle, waiting for its first message.
func New(cfg Config) (*Agent, error) {
	if cfg.Host == nil || cfg.Model == nil {
		return nil, errors.New("new agent: host and model are required")
	}
	return newAgent(cfg)
}

// newAgent builds an agent without checking its host and model, for
// FirstRequest, which calls neither.
func newAgent(cfg Config) (*Agent, error) {
	if cfg.MaxTurns <= 0 {
		cfg.MaxTurns = 60
	}
	a := &Agent{cfg: cfg, idle: true, delivered: map[string]bool{}, signal: make(chan struct{}, 1)}
	if err := a.buildTools(); err != nil {
		return nil, fmt.Errorf("agent %s: %w", cfg.Address, err)
	}
	a.instr = instructions(cfg)
	return a, nil
}

// request is the agent's next turn as it stands. Every request of an agent
// repeats the previous one as a prefix (same instructions, same tools in
// the role's order, earlier items unchanged) until a compaction, so that
// provider prompt caches hit.
func (a *Agent) request() model.Request {
	return model.Request{
		Agent: a.cfg.Address.String(), Role: a.cfg.Role.Name,
		Instructions: a.instr, Input: a.conv, Tools: a.specs,
	}
}

// Instructions returns the system prompt the agent sends with every turn.
func (a *Agent) Instructions() string { return a.instr }

// ToolSpecs returns the tools the agent declares to its model.
func (a *Agent) ToolSpecs() []model.Tool { return a.specs }

func instructions(cfg Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "address: %s\nrole: %s\n\n%s\n", cfg.Address, cfg.Role.Name, cfg.Role.Instructions)
	b.WriteString("Messages from other agents arrive when you call wait, or wake you when you are idle. Paths in tools are relative to your worktree.\n")
	if p := strings.TrimSpace(cfg.Project); p != "" {
		b.WriteString("\n# Project instructions (AGENTS.md)\n")
		b.WriteString(p)
		b.WriteString("\n")
	}
	return b.String()
}

// Deliver puts a message in the agent's mailbox. A message id already
// delivered is ignored, so replays deliver each message once.
func (a *Agent) Deliver(env messaging.Envelope) {
	a.mu.Lock()
	for _, e := range a.inbox {
		if e.ID == env.ID {
			a.mu.Unlock()
			return
		}
	}
	a.inbox = append(a.inbox, env)
	a.mu.Unlock()
	select {
	case a.signal <- struct{}{}:
	default:
	}
}

// take removes and returns the mailbox's messages not delivered before.
func (a *Agent) take() []messaging.Envelope {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []messaging.Envelope
	for _, e := range a.inbox {
		if !a.delivered[e.ID] {
			out = append(out, e)
		}
	}
	a.inbox = nil
	return out
}

// Run drives the agent until ctx ends (nil error) or it fails.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.finishPendingCalls(ctx); err != nil {
		return err
	}
	for {
		if ctx.Err() != nil {
			return nil
		}
		if !a.idle {
			if err := a.waitUnpaused(ctx); err != nil {
				return nil
			}
			tctx, done := a.turnContext(ctx)
			err := a.turn(tctx)
			interrupted := errors.Is(context.Cause(tctx), errInterrupted)
			done()
			if interrupted && ctx.Err() == nil {
				if err := a.afterInterrupt(ctx); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			continue
		}
		envs := a.take()
		if len(envs) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-a.signal:
			}
			continue
		}
		for _, env := range envs {
			if err := a.deliver(ctx, env, messaging.ViaWake, ""); err != nil {
				return err
			}
		}
	}
}

// afterInterrupt answers the open tool calls of an interrupted turn so the
// conversation stays well formed, and makes the agent wait for a message.
func (a *Agent) afterInterrupt(ctx context.Context) error {
	for _, c := range append([]messaging.ToolCall(nil), a.pendingCall...) {
		tr := messaging.ToolResult{CallID: c.ID, Name: c.Name, IsError: true, Output: "error: " + errInterrupted.Error()}
		if err := a.cfg.Host.Record(ctx, tr); err != nil {
			return err
		}
		a.applyToolResult(tr)
	}
	a.idle = true
	return a.cfg.Host.Record(ctx, messaging.AgentIdle{Reason: errInterrupted.Error()})
}

// deliver records a message as taken into the conversation and folds it.
func (a *Agent) deliver(ctx context.Context, env messaging.Envelope, via, callID string) error {
	d := messaging.MessageDelivered{Envelope: env, Via: via, CallID: callID}
	if err := a.cfg.Host.Record(ctx, d); err != nil {
		return fmt.Errorf("record delivery of %s: %w", env.ID, err)
	}
	a.applyDelivered(d)
	return nil
}

func (a *Agent) turn(ctx context.Context) error {
	if a.turns >= a.cfg.MaxTurns {
		return fmt.Errorf("%w: %d turns", ErrTurnLimit, a.cfg.MaxTurns)
	}
	n := a.turns
	if err := a.maybeCompact(ctx); err != nil {
		return err
	}
	if err := a.cfg.Host.Record(ctx, messaging.TurnStarted{Turn: n}); err != nil {
		return err
	}
	release, err := a.cfg.Host.Acquire(ctx)
	if err != nil {
		return err
	}
	t, err := a.cfg.Model.Turn(ctx, a.request())
	release()
	if err != nil {
		if model.Unavailable(err) {
			return fmt.Errorf("model turn %d: %w: %w", n, ErrModel, err)
		}
		return fmt.Errorf("model turn %d: %w", n, err)
	}
	mt := messaging.ModelTurn{
		Turn: n, Model: t.Model, Text: t.Text, Attempts: t.Attempts,
		Usage:   messaging.Usage{Input: t.Usage.InputTokens, CachedInput: t.Usage.CachedInputTokens, Output: t.Usage.OutputTokens},
		Started: t.Started, Finished: t.Finished,
	}
	for _, c := range t.ToolCalls {
		mt.ToolCalls = append(mt.ToolCalls, messaging.ToolCall{ID: c.ID, Name: c.Name, Arguments: c.Arguments})
	}
	if err := a.cfg.Host.Record(ctx, mt); err != nil {
		return err
	}
	a.applyModelTurn(mt)
	if len(mt.ToolCalls) == 0 {
		return a.finalText(ctx, mt.Text)
	}
	return a.runCalls(ctx, mt.ToolCalls)
}

func (a *Agent) runCalls(ctx context.Context, calls []messaging.ToolCall) error {
	changed := false
	for _, c := range calls {
		res, err := a.call(ctx, c)
		if err != nil {
			return err
		}
		if len(res.Changed) > 0 || c.Name == ToolShell {
			changed = true
		}
	}
	if changed {
		if err := a.cfg.Host.Snapshot(ctx); err != nil {
			return fmt.Errorf("snapshot after turn: %w", err)
		}
	}
	if a.idle {
		return a.cfg.Host.Record(ctx, messaging.AgentIdle{Reason: "reported"})
	}
	return nil
}

// finalText handles a turn without tool calls: the agent is done for now.
func (a *Agent) finalText(ctx context.Context, text string) error {
	if strings.TrimSpace(text) == "" {
		text = "(no summary)"
	}
	r := messaging.Report{Status: "done", Summary: text}
	if err := a.report(ctx, r); err != nil {
		return err
	}
	a.idle = true
	return a.cfg.Host.Record(ctx, messaging.AgentIdle{Reason: "final answer"})
}

func (a *Agent) report(ctx context.Context, r messaging.Report) error {
	if a.cfg.Address.IsRoot() {
		return a.cfg.Host.FinishRun(ctx, r)
	}
	parent, _ := a.cfg.Address.Parent()
	_, err := a.cfg.Host.Send(ctx, parent, r)
	return err
}

// call runs one tool call and records it. Errors from the tool become an
// error result for the model; only journal failures stop the agent.
func (a *Agent) call(ctx context.Context, c messaging.ToolCall) (tools.Result, error) {
	if err := a.cfg.Host.Record(ctx, messaging.ToolCallStarted{CallID: c.ID, Name: c.Name, Arguments: c.Arguments}); err != nil {
		return tools.Result{}, err
	}
	start := time.Now()
	res, runErr := a.dispatch(WithCallID(ctx, c.ID), c)
	if ctx.Err() != nil {
		return tools.Result{}, ctx.Err()
	}
	tr := messaging.ToolResult{CallID: c.ID, Name: c.Name, Output: res.Output, Changed: res.Changed, DurationMS: time.Since(start).Milliseconds()}
	if runErr != nil {
		tr.IsError = true
		tr.Output = "error: " + runErr.Error()
		if res.Output != "" {
			tr.Output += "\n" + res.Output
		}
	}
	tr.Output = capOutput(tr.Output)
	if err := a.cfg.Host.Record(ctx, tr); err != nil {
		return tools.Result{}, err
	}
	a.applyToolResult(tr)
	return res, nil
}

func (a *Agent) dispatch(ctx context.Context, c messaging.ToolCall) (tools.Result, error) {
	h, ok := a.tools[c.Name]
	if !ok {
		names := make([]string, 0, len(a.specs))
		for _, s := range a.specs {
			names = append(names, s.Name)
		}
		return tools.Result{}, fmt.Errorf("unknown tool %q; your tools are: %s", c.Name, strings.Join(names, ", "))
	}
	return h.run(ctx, c.ID, json.RawMessage(c.Arguments))
}

const maxToolOutput = 64 << 10

func capOutput(s string) string {
	if len(s) <= maxToolOutput {
		return s
	}
	return s[:maxToolOutput] + fmt.Sprintf("\n[cadre: output truncated, %d of %d bytes shown]", maxToolOutput, len(s))
}
