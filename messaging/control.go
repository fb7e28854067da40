package messaging

import (
	"errors"
	"fmt"
	"time"
)

// Control actions a person (through the CLI, the dashboard or the local API)
// can take on a run. Views never call the engine: they send a Control.
const (
	ActionPause     = "pause"     // stop starting new turns: Target's subtree, or the run when Target is /root
	ActionResume    = "resume"    // undo pause
	ActionInterrupt = "interrupt" // abandon Target's current model turn or command
	ActionMessage   = "message"   // deliver Text to Target as a message from the user
	ActionCancel    = "cancel"    // end the run
	ActionApprove   = "approve"   // allow the command of approval request ApprovalID
	ActionDeny      = "deny"      // refuse it, with Text as the reason
	ActionBudget    = "budget"    // raise Target's subtree budget by Raise
)

// ErrBadControl is wrapped by invalid controls.
var ErrBadControl = errors.New("bad control")

// Control is one instruction from a person to a running supervisor.
type Control struct {
	Action     string  `json:"action"`
	Target     Address `json:"target,omitzero"`
	Text       string  `json:"text,omitempty"`
	ApprovalID string  `json:"approval_id,omitempty"`
	// Always, with approve, adds an allow rule so the same command no longer asks.
	Always bool   `json:"always,omitempty"`
	By     string `json:"by,omitempty"` // who decided: "cli", "dashboard", a user name
	// Raise, with budget, is added to Target's budget.
	Raise *Budget `json:"raise,omitempty"`
}

// Validate checks that the control names what its action needs.
func (c Control) Validate() error {
	switch c.Action {
	case ActionPause, ActionResume, ActionInterrupt:
		if c.Target.IsZero() {
			return fmt.Errorf("%w: %s needs a target address", ErrBadControl, c.Action)
		}
	case ActionMessage:
		if c.Target.IsZero() || c.Text == "" {
			return fmt.Errorf("%w: message needs a target and a text", ErrBadControl)
		}
	case ActionCancel:
	case ActionBudget:
		if c.Target.IsZero() || c.Raise == nil || c.Raise.IsZero() {
			return fmt.Errorf("%w: budget needs a target and an amount to raise by", ErrBadControl)
		}
	case ActionApprove, ActionDeny:
		if c.ApprovalID == "" {
			return fmt.Errorf("%w: %s needs an approval id", ErrBadControl, c.Action)
		}
	default:
		return fmt.Errorf("%w: unknown action %q", ErrBadControl, c.Action)
	}
	return nil
}

// More event types, for controls and approvals.
const (
	EvControl           EventType = "control"
	EvAgentPaused       EventType = "agent_paused"
	EvAgentResumed      EventType = "agent_resumed"
	EvApprovalRequested EventType = "approval_requested"
	EvApprovalDecided   EventType = "approval_decided"
)

// ControlReceived records a control as it was accepted.
type ControlReceived struct {
	Control Control `json:"control"`
}

// AgentPaused: the agent starts no new turn until resumed.
type AgentPaused struct {
	Reason string `json:"reason"`
}

// AgentResumed undoes AgentPaused.
type AgentResumed struct {
	Reason string `json:"reason,omitempty"`
}

// ApprovalRequested: an agent's command needs a person's decision.
type ApprovalRequested struct {
	ID      string   `json:"id"`
	Command []string `json:"command"`
	Workdir string   `json:"workdir,omitempty"`
	Reason  string   `json:"reason"` // the policy rule that asked
}

// ApprovalDecided records the decision on an approval request.
type ApprovalDecided struct {
	ID       string `json:"id"`
	Approved bool   `json:"approved"`
	Always   bool   `json:"always,omitempty"`
	By       string `json:"by"`
	Reason   string `json:"reason,omitempty"`
}

func (ControlReceived) EventType() EventType   { return EvControl }
func (AgentPaused) EventType() EventType       { return EvAgentPaused }
func (AgentResumed) EventType() EventType      { return EvAgentResumed }
func (ApprovalRequested) EventType() EventType { return EvApprovalRequested }
func (ApprovalDecided) EventType() EventType   { return EvApprovalDecided }

// RunSummary is one line of `cadre ls` and of the local API's run list.
type RunSummary struct {
	ID           string    `json:"id"`
	Repo         string    `json:"repo"`
	Task         string    `json:"task"`
	Status       string    `json:"status"` // running | interrupted | succeeded | failed | cancelled
	Agents       int       `json:"agents"`
	Started      time.Time `json:"started"`
	Updated      time.Time `json:"updated"`
	Usage        Usage     `json:"usage"`
	CostUSD      float64   `json:"cost_usd"`
	ResultBranch string    `json:"result_branch,omitempty"`
	Active       bool      `json:"active"` // a supervisor process is running it now
	Events       uint64    `json:"events"` // seq of its newest journal event
}
