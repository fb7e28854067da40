package supervisor

import (
	"context"

	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
)

// team plays a planner that replaces its failed coder. The first coder
// fails (a provider error it cannot retry) only after the planner's ask to
// it was sent and never taken; the replacement must not see that ask.
type team struct {
	mu        sync.Mutex
	askSent   chan struct{}
	inTurn    chan struct{} // closed when the first coder is in its model turn
	once      sync.Once
	once2     sync.Once
	coderReqs []model.Request
}

func call(name, args string) model.Turn {
	return model.Turn{ToolCalls: []model.ToolCall{{ID: name + "-" + args[:min(8, len(args))], Name: name, Arguments: args}}}
}

func (tm *team) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	turn := 0
	for _, it := range req.Input {
		if it.Role == model.RoleAssistant {
			turn++
		}
	}
	var t model.Turn
	switch req.Agent {
	case "/root":
		script := []model.Turn{
			call("spawn_agent", `{"role":"coder","name":"c","task":"first try"}`),
			call("ask", `{"to":"/root/c","question":"are you there?"}`),
			call("wait", `{"from":["/root/c"]}`),
			call("spawn_agent", `{"role":"coder","name":"c","task":"second try"}`),
			call("wait", `{"from":["/root/c"]}`),
			call("report", `{"status":"done","summary":"replaced the coder"}`),
		}
		if turn == 1 { // ask only once the first coder is busy in a turn
			<-tm.inTurn
		}
		if turn == 2 { // the ask has been sent
			tm.once.Do(func() { close(tm.askSent) })
		}
		t = script[turn]
	case "/root/c":
		tm.mu.Lock()
		tm.coderReqs = append(tm.coderReqs, req)
		tm.mu.Unlock()
		if strings.Contains(req.Input[0].Text, "first try") {
			tm.once2.Do(func() { close(tm.inTurn) })
			<-tm.askSent
			return model.Turn{}, &model.ProviderError{Status: 400, Message: "context too long"}
		}
		t = model.Turn{Text: "done on the second try"}
	}
	t.Started, t.Finished = time.Now(), time.Now()
	return t, nil
}

func TestAFailedAgentIsReplacedByAFreshGeneration(t *testing.T) {
	tm := &team{askSent: make(chan struct{}), inTurn: make(chan struct{})}
	out, evs := runWith(t, tm)
	if out.Status != messaging.StatusSucceeded {
		t.Fatalf("outcome %+v", out)
	}
	c := messaging.MustParseAddress("/root/c")
	var fresh, dropped, failed int
	for _, ev := range evs {
		if ev.Agent != c {
			continue
		}
		switch ev.Type {
		case messaging.EvAgentStarted:
			var p messaging.AgentStarted
			_ = ev.Decode(&p)
			if p.Fresh {
				fresh++
				if ev.Gen != 2 || p.Task != "second try" {
					t.Errorf("fresh start gen %d task %q", ev.Gen, p.Task)
				}
			}
		case messaging.EvMessageDropped:
			var p messaging.MessageDropped
			_ = ev.Decode(&p)
			if p.Envelope.Kind == messaging.KindAsk && p.Envelope.Generation == 1 && strings.Contains(p.Reason, "afresh as generation 2") {
				dropped++
			}
		case messaging.EvAgentFailed:
			failed++
		}
	}
	if fresh != 1 || dropped != 1 || failed != 1 {
		t.Fatalf("fresh %d dropped %d failed %d", fresh, dropped, failed)
	}
	// The replacement's conversation holds only its own assign.
	last := tm.coderReqs[len(tm.coderReqs)-1]
	if len(last.Input) != 1 || !strings.Contains(last.Input[0].Text, "second try") || strings.Contains(last.Input[0].Text, "are you there") {
		t.Fatalf("replacement's input: %+v", last.Input)
	}
}
