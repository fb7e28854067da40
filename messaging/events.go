package messaging

import (
	"encoding/json"
	"fmt"
	"time"
)

// EventType names what happened. The journal stores events; every view
// (progress lines, `cadre exec` JSONL, the dashboard) is a fold over them.
type EventType string

// Event types.
const (
	EvRunStarted       EventType = "run_started"
	EvRunFinished      EventType = "run_finished"
	EvRunSuspended     EventType = "run_suspended"
	EvWarning          EventType = "warning"
	EvAgentStarted     EventType = "agent_started"
	EvAgentIdle        EventType = "agent_idle"
	EvAgentFinished    EventType = "agent_finished"
	EvAgentFailed      EventType = "agent_failed"
	EvTurnStarted      EventType = "turn_started"
	EvModelTurn        EventType = "model_turn"
	EvModelRetry       EventType = "model_retry"
	EvToolCall         EventType = "tool_call"
	EvToolResult       EventType = "tool_result"
	EvWaiting          EventType = "waiting"
	EvMessageSent      EventType = "message_sent"
	EvMessageDelivered EventType = "message_delivered"
	EvMessageDropped   EventType = "message_dropped"
	EvSnapshot         EventType = "snapshot"
	EvMerged           EventType = "merged"
	EvMergeFailed      EventType = "merge_failed"
)

// Event is one journal record. Seq is assigned by the journal when the event
// is committed; an event with Seq 0 has not been recorded yet.
type Event struct {
	Seq   uint64          `json:"seq"`
	Time  time.Time       `json:"time"`
	Run   string          `json:"run"`
	Agent Address         `json:"agent,omitzero"`
	Gen   int             `json:"gen,omitempty"`
	Type  EventType       `json:"type"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// Payload is the typed content of an event.
type Payload interface{ EventType() EventType }

// NewEvent builds an unrecorded event carrying p.
func NewEvent(run string, agent Address, gen int, at time.Time, p Payload) Event {
	raw, err := json.Marshal(p)
	if err != nil {
		// Payloads are plain structs of strings, numbers and slices.
		panic(fmt.Sprintf("messaging: encode %s: %v", p.EventType(), err))
	}
	return Event{Time: at.UTC(), Run: run, Agent: agent, Gen: gen, Type: p.EventType(), Data: raw}
}

// Decode fills p from the event; p's type must match the event's.
func (e Event) Decode(p Payload) error {
	if p.EventType() != e.Type {
		return fmt.Errorf("decode event %d: is %s, not %s", e.Seq, e.Type, p.EventType())
	}
	if err := json.Unmarshal(e.Data, p); err != nil {
		return fmt.Errorf("decode %s event %d: %w", e.Type, e.Seq, err)
	}
	return nil
}

// RunStarted opens a run's journal.
type RunStarted struct {
	Task         string `json:"task"`
	Repo         string `json:"repo"`
	BaseBranch   string `json:"base_branch,omitempty"`
	BaseCommit   string `json:"base_commit"`
	ResultBranch string `json:"result_branch"`
	Team         string `json:"team,omitempty"`
	Version      int    `json:"version"`
}

// Run outcomes.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// RunFinished closes a run.
type RunFinished struct {
	Status       string `json:"status"`
	Summary      string `json:"summary,omitempty"`
	ResultBranch string `json:"result_branch,omitempty"`
	ResultCommit string `json:"result_commit,omitempty"`
	Error        string `json:"error,omitempty"`
}

// RunSuspended: the run stopped without finishing (its model provider kept
// failing, or the user interrupted it); `cadre resume` continues it.
type RunSuspended struct {
	Reason string `json:"reason"`
	Error  string `json:"error,omitempty"`
}

// EndsStream reports whether e is the last event of a run's live stream:
// the run finished or was suspended (a resume appends after it).
func (e Event) EndsStream() bool { return e.Type == EvRunFinished || e.Type == EvRunSuspended }

// Warning is something the user must know, e.g. that commands are not
// confined.
type Warning struct {
	Text string `json:"text"`
}

// AgentStarted records a (re)start of the agent at Event.Agent; Event.Gen is
// its new generation.
type AgentStarted struct {
	Role     string  `json:"role"`
	Parent   Address `json:"parent,omitzero"`
	Task     string  `json:"task"`
	Model    string  `json:"model,omitempty"`
	Worktree string  `json:"worktree,omitempty"`
	Branch   string  `json:"branch,omitempty"`
	Base     string  `json:"base,omitempty"`
	// Fresh marks a new agent at an address whose previous one failed: its
	// conversation starts empty, and messages sent to earlier generations
	// are dropped. Without it, a (re)start continues the conversation.
	Fresh bool `json:"fresh,omitempty"`
	// Subtask is the plan subtask the agent works on, and Lease the globs
	// of the paths it may write (empty: its whole worktree).
	Subtask string   `json:"subtask,omitempty"`
	Lease   []string `json:"lease,omitempty"`
}

// AgentIdle: the agent finished its work for now and waits to be woken by a
// message.
type AgentIdle struct {
	Reason string `json:"reason,omitempty"`
}

// AgentFinished: the agent stopped for good.
type AgentFinished struct {
	Summary string `json:"summary,omitempty"`
}

// AgentFailed: the agent stopped because of an error.
type AgentFailed struct {
	Error string `json:"error"`
}

// TurnStarted: a request to the model is under way.
type TurnStarted struct {
	Turn int `json:"turn"`
}

// Usage counts tokens of one model turn.
type Usage struct {
	Input       int64 `json:"input"`
	CachedInput int64 `json:"cached_input,omitempty"`
	Output      int64 `json:"output"`
}

// Add returns the sum of two usages.
func (u Usage) Add(v Usage) Usage {
	return Usage{Input: u.Input + v.Input, CachedInput: u.CachedInput + v.CachedInput, Output: u.Output + v.Output}
}

// ToolCall is one call a model asked for.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// ModelTurn records a completed model turn: what the model said and asked.
type ModelTurn struct {
	Turn      int        `json:"turn"`
	Model     string     `json:"model,omitempty"`
	Text      string     `json:"text,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	Usage     Usage      `json:"usage"`
	CostUSD   float64    `json:"cost_usd,omitempty"` // from cadre's price table when the model is in it
	Attempts  int        `json:"attempts,omitempty"`
	Started   time.Time  `json:"started"`
	Finished  time.Time  `json:"finished"`
}

// ModelRetry records a failed attempt that will be retried.
type ModelRetry struct {
	Turn    int    `json:"turn"`
	Attempt int    `json:"attempt"`
	Error   string `json:"error"`
	WaitMS  int64  `json:"wait_ms"`
}

// ToolCallStarted records the start of one tool call.
type ToolCallStarted struct {
	CallID    string `json:"call_id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// ToolResult records a tool call's outcome as the model will see it.
type ToolResult struct {
	CallID     string   `json:"call_id"`
	Name       string   `json:"name"`
	Output     string   `json:"output"`
	IsError    bool     `json:"is_error,omitempty"`
	Changed    []string `json:"changed,omitempty"`
	DurationMS int64    `json:"duration_ms"`
}

// Waiting: the agent waits for messages.
type Waiting struct {
	From      []Address `json:"from,omitempty"`
	TimeoutMS int64     `json:"timeout_ms,omitempty"`
}

// MessageSent records a message accepted for delivery.
type MessageSent struct {
	Envelope Envelope `json:"envelope"`
	// CallID is the sender's tool call that sent it, so a restarted sender
	// knows the call had its effect.
	CallID string `json:"call_id,omitempty"`
}

// How a message reached its recipient's conversation.
const (
	ViaWake = "wake" // it woke an idle agent as a new user turn
	ViaWait = "wait" // it was the result of the agent's wait tool call CallID
)

// MessageDelivered: the recipient took the message into its conversation.
// It carries the whole envelope so that an agent's own events are enough to
// rebuild its conversation.
type MessageDelivered struct {
	Envelope Envelope `json:"envelope"`
	Via      string   `json:"via"`
	CallID   string   `json:"call_id,omitempty"`
}

// MessageDropped records a message that will never be delivered: it was
// sent to an earlier generation of an agent started afresh since.
type MessageDropped struct {
	Envelope Envelope `json:"envelope"`
	Reason   string   `json:"reason"`
}

// Snapshot records a commit of the agent's worktree on its branch.
type Snapshot struct {
	Branch string   `json:"branch"`
	Commit string   `json:"commit"`
	Files  []string `json:"files,omitempty"`
}

// Merged records an approved commit merged into the result branch.
type Merged struct {
	Agent       Address `json:"agent"`
	Commit      string  `json:"commit"`
	Into        string  `json:"into"`
	Result      string  `json:"result"`
	FastForward bool    `json:"fast_forward,omitempty"`
}

// MergeFailed records a merge that could not be made.
type MergeFailed struct {
	Agent     Address  `json:"agent"`
	Commit    string   `json:"commit"`
	Into      string   `json:"into"`
	Conflicts []string `json:"conflicts,omitempty"`
	Error     string   `json:"error"`
	// Resolver, when set, is the agent resolving the conflict, on top of
	// the result branch at Onto.
	Resolver Address `json:"resolver,omitzero"`
	Onto     string  `json:"onto,omitempty"`
}

func (RunStarted) EventType() EventType       { return EvRunStarted }
func (RunFinished) EventType() EventType      { return EvRunFinished }
func (RunSuspended) EventType() EventType     { return EvRunSuspended }
func (Warning) EventType() EventType          { return EvWarning }
func (AgentStarted) EventType() EventType     { return EvAgentStarted }
func (AgentIdle) EventType() EventType        { return EvAgentIdle }
func (AgentFinished) EventType() EventType    { return EvAgentFinished }
func (AgentFailed) EventType() EventType      { return EvAgentFailed }
func (TurnStarted) EventType() EventType      { return EvTurnStarted }
func (ModelTurn) EventType() EventType        { return EvModelTurn }
func (ModelRetry) EventType() EventType       { return EvModelRetry }
func (ToolCallStarted) EventType() EventType  { return EvToolCall }
func (ToolResult) EventType() EventType       { return EvToolResult }
func (Waiting) EventType() EventType          { return EvWaiting }
func (MessageSent) EventType() EventType      { return EvMessageSent }
func (MessageDelivered) EventType() EventType { return EvMessageDelivered }
func (Snapshot) EventType() EventType         { return EvSnapshot }
func (MessageDropped) EventType() EventType   { return EvMessageDropped }
func (Merged) EventType() EventType           { return EvMerged }
func (MergeFailed) EventType() EventType      { return EvMergeFailed }
