package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// ErrNoApproval is returned for an approval id that is not waiting.
var ErrNoApproval = errors.New("no such approval request is waiting")

type controlMsg struct{ action string }

type pendingApproval struct {
	agent   messaging.Address
	command []string
	reply   chan messaging.ApprovalDecided
}

// Control applies a person's control to the run. It is journaled first, as
// any event, then carried out.
func (r *Run) Control(ctx context.Context, c messaging.Control) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if !c.Target.IsZero() {
		if _, ok := r.agent(c.Target); !ok {
			return fmt.Errorf("%w: %s (agents: %s)", ErrNoRecipient, c.Target, joinAddrs(r.Agents()))
		}
	}
	if c.By == "" {
		c.By = "api"
	}
	if _, err := r.record(ctx, c.Target, 0, messaging.ControlReceived{Control: c}); err != nil {
		return err
	}
	switch c.Action {
	case messaging.ActionCancel:
		r.Cancel()
	case messaging.ActionBudget:
		return r.raiseBudget(ctx, c.Target, *c.Raise, c.By)
	case messaging.ActionApprove, messaging.ActionDeny:
		return r.decide(ctx, c)
	case messaging.ActionPause, messaging.ActionResume:
		for _, st := range r.subtree(c.Target) {
			var p messaging.Payload = messaging.AgentPaused{Reason: "paused by " + c.By}
			if c.Action == messaging.ActionResume {
				p = messaging.AgentResumed{Reason: "resumed by " + c.By}
			}
			if _, err := r.record(ctx, st.addr, st.gen, p); err != nil {
				return err
			}
			r.tell(st, &controlMsg{action: c.Action})
		}
	case messaging.ActionInterrupt:
		st, _ := r.agent(c.Target)
		r.tell(st, &controlMsg{action: c.Action})
	case messaging.ActionMessage:
		return r.userMessage(ctx, c.Target, c.Text)
	}
	return nil
}

func (r *Run) subtree(top messaging.Address) []*agentState {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*agentState
	for a, st := range r.agents {
		if a.Within(top) {
			out = append(out, st)
		}
	}
	return out
}

func (r *Run) tell(st *agentState, msg any) {
	r.mu.Lock()
	pid := st.pid
	r.mu.Unlock()
	if pid != nil {
		r.sup.system.Root.Send(pid, msg)
	}
}

// userMessage delivers a person's words to an agent as an answer from "the
// user" (the zero address).
func (r *Run) userMessage(ctx context.Context, to messaging.Address, text string) error {
	st, ok := r.agent(to)
	if !ok || st.failed {
		return fmt.Errorf("message to %s: %w", to, ErrNoRecipient)
	}
	user := messaging.Address{}
	env, err := messaging.NewEnvelope(r.ID, user, to, st.gen, r.nextSeq(user), r.sup.now(), messaging.Answer{Text: text})
	if err != nil {
		return err
	}
	env.ID = fmt.Sprintf("m-user-%d", env.Seq)
	if _, err := r.record(ctx, user, 0, messaging.MessageSent{Envelope: env}); err != nil {
		return err
	}
	r.post(st, env)
	return nil
}

// approve asks a person (through controls) whether an agent may run argv.
func (r *Run) approve(ctx context.Context, st *agentState, argv []string, reason string) (messaging.ApprovalDecided, error) {
	if !r.Spec.Interactive {
		d := messaging.ApprovalDecided{Approved: false, By: "policy", Reason: "no person can approve in cadre exec: " + reason}
		return d, nil
	}
	r.mu.Lock()
	r.approvalSeq++
	id := fmt.Sprintf("ap-%d", r.approvalSeq)
	pa := &pendingApproval{agent: st.addr, command: argv, reply: make(chan messaging.ApprovalDecided, 1)}
	r.approvals[id] = pa
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.approvals, id)
		r.mu.Unlock()
	}()
	if _, err := r.record(ctx, st.addr, st.gen, messaging.ApprovalRequested{ID: id, Command: argv, Workdir: st.wt.Path, Reason: reason}); err != nil {
		return messaging.ApprovalDecided{}, err
	}
	select {
	case d := <-pa.reply:
		return d, nil
	case <-ctx.Done():
		return messaging.ApprovalDecided{}, ctx.Err()
	}
}

func (r *Run) decide(ctx context.Context, c messaging.Control) error {
	r.mu.Lock()
	pa, ok := r.approvals[c.ApprovalID]
	if ok {
		delete(r.approvals, c.ApprovalID)
	}
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s (waiting: %s)", ErrNoApproval, c.ApprovalID, strings.Join(r.waitingApprovals(), ", "))
	}
	st, _ := r.agent(pa.agent)
	d := messaging.ApprovalDecided{ID: c.ApprovalID, Approved: c.Action == messaging.ActionApprove, Always: c.Always, By: c.By, Reason: c.Text}
	if _, err := r.record(ctx, pa.agent, st.gen, d); err != nil {
		return err
	}
	pa.reply <- d
	return nil
}

func (r *Run) waitingApprovals() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.approvals))
	for id := range r.approvals {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return []string{"none"}
	}
	return ids
}
