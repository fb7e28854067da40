package actors

import (
	"context"
	"errors"
)

// errInterrupted is the cause of a turn a person interrupted.
var errInterrupted = errors.New("interrupted by the user")

// Pause makes the agent start no new model turn until Resume. A turn under
// way finishes.
func (a *Agent) Pause() {
	a.mu.Lock()
	a.paused = true
	a.mu.Unlock()
}

// Resume undoes Pause.
func (a *Agent) Resume() {
	a.mu.Lock()
	a.paused = false
	a.mu.Unlock()
	a.poke()
}

// Interrupt abandons the agent's current model turn or command; the agent
// answers its open tool calls as interrupted and waits for a message.
func (a *Agent) Interrupt() {
	a.mu.Lock()
	cancel := a.cancelTurn
	a.mu.Unlock()
	if cancel != nil {
		cancel(errInterrupted)
	}
}

func (a *Agent) poke() {
	select {
	case a.signal <- struct{}{}:
	default:
	}
}

func (a *Agent) isPaused() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.paused
}

// waitUnpaused blocks while the agent is paused.
func (a *Agent) waitUnpaused(ctx context.Context) error {
	for a.isPaused() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-a.signal:
		}
	}
	return nil
}

// turnContext gives a turn its own context so Interrupt can end it.
func (a *Agent) turnContext(ctx context.Context) (context.Context, func()) {
	tctx, cancel := context.WithCancelCause(ctx)
	a.mu.Lock()
	a.cancelTurn = cancel
	a.mu.Unlock()
	return tctx, func() {
		a.mu.Lock()
		a.cancelTurn = nil
		a.mu.Unlock()
		cancel(nil)
	}
}
