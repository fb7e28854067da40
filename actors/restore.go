package actors

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
)

// Restore folds the agent's own journal events, oldest first, into its
// state: the conversation (compactions applied where they were recorded),
// turn count, idleness, delivered message ids and unanswered test
// requests. It is how an agent restarts after a crash.
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
		case messaging.EvCompacted:
			var c messaging.Compacted
			if err := ev.Decode(&c); err != nil {
				return err
			}
			if err := a.applyCompacted(c); err != nil {
				return fmt.Errorf("restore event %d: %w", ev.Seq, err)
			}
		case messaging.EvAgentIdle:
			a.idle = true
		case messaging.EvMessageSent:
			var m messaging.MessageSent
			if err := ev.Decode(&m); err != nil {
				return err
			}
			if m.CallID != "" {
				if a.sentBy == nil {
					a.sentBy = map[string]string{}
				}
				a.sentBy[m.CallID] = m.Envelope.ID
				if m.Envelope.Kind == messaging.KindTestReport && len(a.testQueue) > 0 {
					a.testQueue = a.testQueue[1:]
				}
			}
		}
	}
	return nil
}

// Delivered reports whether message id is already part of the conversation.
func (a *Agent) Delivered(id string) bool { return a.delivered[id] }

// applyStarted gives the lead its task as the first user turn; every other
// agent gets its task as an assign message from its parent.
func (a *Agent) applyStarted(st messaging.AgentStarted) {
	if st.Fresh {
		// A new agent at this address: what its predecessor said and
		// took is not its own.
		a.conv, a.turns, a.idle = nil, 0, true
		a.testQueue, a.pendingCall, a.waitBuf, a.sentBy = nil, nil, nil, nil
		a.lastInput, a.turnSeen, a.compacted = 0, false, 0
	}
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
	a.lastInput, a.turnSeen = mt.Usage.Input, true
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
// result because the agent stopped while they ran. A call whose message is
// in the journal had its effect; read-only calls, apply_patch (atomic: it
// applied wholly or not at all), spawn_agent (idempotent) and calls that
// send a message run again; for shell the model is told the call was
// interrupted, since its effect is unknown.
func (a *Agent) finishPendingCalls(ctx context.Context) error {
	pending := append([]messaging.ToolCall(nil), a.pendingCall...)
	for _, c := range pending {
		if id, ok := a.sentBy[c.ID]; ok {
			if err := a.recordRestored(ctx, c, false, "done before cadre restarted: sent "+id); err != nil {
				return err
			}
			continue
		}
		h, known := a.tools[c.Name]
		if known && c.Name == "apply_patch" {
			res, err := h.run(ctx, c.ID, json.RawMessage(c.Arguments))
			if err != nil {
				out := "error: cadre restarted during this call and the patch no longer applies, most likely because it was applied before the restart; read the files to check. " + err.Error()
				if err := a.recordRestored(ctx, c, true, out); err != nil {
					return err
				}
				continue
			}
			tr := messaging.ToolResult{CallID: c.ID, Name: c.Name, Output: res.Output, Changed: res.Changed}
			if err := a.cfg.Host.Record(ctx, tr); err != nil {
				return err
			}
			a.applyToolResult(tr)
			if err := a.cfg.Host.Snapshot(ctx); err != nil {
				return err
			}
			continue
		}
		if known && (h.readOnly || h.retrySafe) {
			res, err := a.call(ctx, c)
			if err != nil {
				return fmt.Errorf("re-run %s after restart: %w", c.Name, err)
			}
			_ = res
			continue
		}
		if err := a.recordRestored(ctx, c, true, "error: interrupted: cadre stopped while this call ran, so its effect is unknown; check the worktree before trying again"); err != nil {
			return err
		}
	}
	return nil
}

func (a *Agent) recordRestored(ctx context.Context, c messaging.ToolCall, isErr bool, out string) error {
	tr := messaging.ToolResult{CallID: c.ID, Name: c.Name, IsError: isErr, Output: out}
	if err := a.cfg.Host.Record(ctx, tr); err != nil {
		return err
	}
	a.applyToolResult(tr)
	return nil
}
