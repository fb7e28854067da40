package supervisor

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/cadre-dev/cadre/actors"
	"github.com/cadre-dev/cadre/messaging"
)

// Messages the actors of a run exchange with the supervisor's goroutines.
type (
	deliverMsg struct{ env messaging.Envelope }
	spawnChild struct {
		name  string
		props *actor.Props
		reply chan spawnReply
	}
	spawnReply struct {
		pid *actor.PID
		err error
	}
	workerPanic struct {
		value any
		stack []byte
	}
	workerFailed struct{ err error }
)

// Restart limits of a panicking agent: at most maxRestarts restarts within
// restartWindow; one more panic fails it.
const (
	maxRestarts   = 3
	restartWindow = time.Minute
)

// agentStrategy restarts a panicking agent, which rebuilds itself from its
// journal. The actor counts its own panics and fails itself past the limit
// (it knows its generation; a parent watching Terminated could not tell an
// old incarnation from a new one at the same address), so the strategy's
// own limit is only a backstop.
func agentStrategy() actor.SupervisorStrategy {
	return actor.NewOneForOneStrategy(10*maxRestarts, restartWindow, func(reason any) actor.Directive {
		return actor.RestartDirective
	})
}

// runActor is the parent of /root; it only spawns it and watches it.
type runActor struct{ run *Run }

func (a *runActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *spawnChild:
		pid, err := ctx.SpawnNamed(m.props, m.name)
		m.reply <- spawnReply{pid: pid, err: err}
	}
}

// agentActor hosts one agent: it runs the agent's loop on a goroutine and
// handles its mailbox. Its state is rebuilt from the journal on every start.
type agentActor struct {
	run  *Run
	addr messaging.Address

	agent  *actors.Agent
	cancel context.CancelFunc
	done   chan struct{}
	closer func()
}

func (a *agentActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if err := a.start(ctx); err != nil {
			a.run.agentFailed(a.addr, err)
			ctx.Stop(ctx.Self())
		}
	case *actor.Restarting, *actor.Stopping:
		a.stopWorker()
	case *deliverMsg:
		if st, ok := a.run.agent(a.addr); ok && a.run.stale(st, m.env) {
			return
		}
		if a.agent != nil {
			a.agent.Deliver(m.env)
		}
	case *spawnChild:
		pid, err := ctx.SpawnNamed(m.props, m.name)
		m.reply <- spawnReply{pid: pid, err: err}
	case *controlMsg:
		if a.agent != nil {
			switch m.action {
			case messaging.ActionPause:
				a.agent.Pause()
			case messaging.ActionResume:
				a.agent.Resume()
			case messaging.ActionInterrupt:
				a.agent.Interrupt()
			}
		}
	case *workerPanic:
		if a.run.panicked(a.addr) > maxRestarts {
			a.run.warnAgent(a.addr, fmt.Sprintf("agent %s panicked: %v; restart limit reached\n%s", a.addr, m.value, m.stack))
			a.stopWorker()
			a.run.agentFailed(a.addr, fmt.Errorf("stopped after %d panics within %s (restart limit reached): %v", maxRestarts+1, restartWindow, m.value))
			ctx.Stop(ctx.Self())
			return
		}
		a.run.warnAgent(a.addr, fmt.Sprintf("agent %s panicked: %v; restarting it from its journal\n%s", a.addr, m.value, m.stack))
		panic(fmt.Sprintf("agent %s: %v", a.addr, m.value))
	case *workerFailed:
		if errors.Is(m.err, actors.ErrModel) {
			// The provider is down or refuses: every agent would fail
			// the same way. Keep the run resumable instead of failing
			// agents one by one.
			a.run.suspendFor(fmt.Sprintf("the model provider failed for %s", a.addr), m.err)
			return
		}
		a.run.agentFailed(a.addr, m.err)
		ctx.Stop(ctx.Self())
	}
}

func (a *agentActor) start(ctx actor.Context) error {
	st, ok := a.run.agent(a.addr)
	if !ok {
		return fmt.Errorf("agent %s is not registered", a.addr)
	}
	a.run.mu.Lock()
	st.pid = ctx.Self() // from now on messages come through the mailbox too
	a.run.mu.Unlock()
	agent, closer, err := a.run.buildAgent(st)
	if err != nil {
		return err
	}
	events, err := a.run.eventsOf(a.addr)
	if err != nil {
		closer()
		return err
	}
	if err := agent.Restore(events); err != nil {
		closer()
		return fmt.Errorf("restore %s: %w", a.addr, err)
	}
	for _, env := range a.run.pendingFor(a.addr) {
		if !agent.Delivered(env.ID) && !a.run.stale(st, env) {
			agent.Deliver(env)
		}
	}
	a.agent, a.closer = agent, closer
	wctx, cancel := context.WithCancel(a.run.ctx)
	a.cancel, a.done = cancel, make(chan struct{})
	self, system, done := ctx.Self(), ctx.ActorSystem(), a.done
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				system.Root.Send(self, &workerPanic{value: v, stack: debug.Stack()})
			}
		}()
		if err := agent.Run(wctx); err != nil && wctx.Err() == nil {
			system.Root.Send(self, &workerFailed{err: err})
		}
	}()
	return nil
}

// eventsOf returns an agent's journal events: preloaded by a resume (once),
// else read through the journal's per-address index.
func (r *Run) eventsOf(addr messaging.Address) ([]messaging.Event, error) {
	r.mu.Lock()
	evs, ok := r.preload[addr]
	delete(r.preload, addr)
	r.mu.Unlock()
	if ok {
		return evs, nil
	}
	if err := r.sup.db.AgentEvents(r.ID, addr, 0, func(ev messaging.Event) error {
		evs = append(evs, ev)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read journal of %s: %w", addr, err)
	}
	return evs, nil
}

func (a *agentActor) stopWorker() {
	if a.cancel != nil {
		a.cancel()
		<-a.done
		a.cancel = nil
	}
	if a.closer != nil {
		a.closer()
		a.closer = nil
	}
}
