package actors

import (
	"context"
	"fmt"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
)

// Restore folds the agent's own journal events, oldest first, into its
// state: the conversation, turn count, idleness, delivered message ids and
// unanswered test requests. It is how an agent restarts after a crash.
func (a *Agent) Restore(events []messaging.Event) error {
	for _, ev := range events {
		if ev.Agent != a.cfg.Address {
			continue
		}
		switch ev.Type {
		case messaging.EvAgentStarted:
			var st messaging.AgentStarted
			if err := ev.Decode(&st); err != nil {
				return err
			}
			a.applyStarted(st)
		case messaging.EvMessageDelivered:
			var d messaging.MessageDelivered
			if err := ev.Decode(&d); err != nil {
				return err
			}
			a.applyDelivered(d)
		case messaging.EvModelTurn:
			var mt messaging.ModelTurn
			if err := ev.Decode(&mt); err != nil {
				return err
			}
			a.applyModelTurn(mt)
		case messaging.EvToolResult:
			var tr messaging.ToolResult
			if err := ev.Decode(&tr); err != nil {
				return err
			}
			a.applyToolResult(tr)
		case messaging.EvAgentIdle:
			a.idle = true
		}
	}
	return nil
}

// Delivered reports whether message id is already part of the conversation.
func (a *Agent) Delivered(id string) bool { return a.delivered[id] }

// applyStarted gives the lead its task as the first user turn; every other
// agent gets its task as an assign message from its parent.
func (a *Agent) applyStarted(st messaging.AgentStarted) {
	if !st.Parent.IsZero() || len(a.conv) > 0 {
		return
	}
	a.conv = append(a.conv, model.Item{Role: model.RoleUser, Text: "Task from the user: " + st.Task})
	a.idle = false
}

func (a *Agent) applyDelivered(d messaging.MessageDelivered) {
	env := d.Envelope
	if a.delivered[env.ID] {
		return
	}
	a.delivered[env.ID] = true
	if env.Kind == messaging.KindTestRequest {
		a.testQueue = append(a.testQueue, env)
	}
	switch d.Via {
	case messaging.ViaWake:
		a.conv = append(a.conv, model.Item{Role: model.RoleUser, Text: formatMessage(env)})
		a.idle = false
	case messaging.ViaWait:
		if a.waitBuf == nil {
			a.waitBuf = map[string][]messaging.Envelope{}
		}
		a.waitBuf[d.CallID] = append(a.waitBuf[d.CallID], env)
	}
}

func (a *Agent) applyModelTurn(mt messaging.ModelTurn) {
	a.turns = mt.Turn + 1
	item := model.Item{Role: model.RoleAssistant, Text: mt.Text}
	for _, c := range mt.ToolCalls {
		item.ToolCalls = append(item.ToolCalls, model.ToolCall{ID: c.ID, Name: c.Name, Arguments: c.Arguments})
	}
	a.conv = append(a.conv, item)
	a.pendingCall = append(a.pendingCall[:0], mt.ToolCalls...)
	a.idle = false
}

func (a *Agent) applyToolResult(tr messaging.ToolResult) {
	a.conv = append(a.conv, model.Item{Role: model.RoleTool, CallID: tr.CallID, Text: tr.Output})
	for i, c := range a.pendingCall {
		if c.ID == tr.CallID {
			a.pendingCall = append(a.pendingCall[:i], a.pendingCall[i+1:]...)
			break
		}
	}
	delete(a.waitBuf, tr.CallID)
	if tr.IsError {
		return
	}
	switch tr.Name {
	case "report":
		a.idle = true
	case ToolRunTests:
		if len(a.testQueue) > 0 {
			a.testQueue = a.testQueue[1:]
		}
	}
}

// finishPendingCalls answers the tool calls of the last turn that have no
// result because the agent stopped while they ran: read-only ones run
// again; for the others the model is told the call was interrupted.
func (a *Agent) finishPendingCalls(ctx context.Context) error {
	pending := append([]messaging.ToolCall(nil), a.pendingCall...)
	for _, c := range pending {
		if h, ok := a.tools[c.Name]; ok && h.readOnly {
			if _, err := a.call(ctx, c); err != nil {
				return fmt.Errorf("re-run %s after restart: %w", c.Name, err)
			}
			continue
		}
		tr := messaging.ToolResult{
			CallID: c.ID, Name: c.Name, IsError: true,
			Output: "error: interrupted: cadre stopped while this call ran, so its effect is unknown; check the worktree before trying again",
		}
		if err := a.cfg.Host.Record(ctx, tr); err != nil {
			return err
		}
		a.applyToolResult(tr)
	}
	return nil
}
