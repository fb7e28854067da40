package actors

import (
	"context"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
)

func TestPauseHoldsTheNextTurnUntilResume(t *testing.T) {
	m := &fakeModel{turns: []model.Turn{{Text: "done"}}}
	h := newHost("/root/coder_a")
	a, _ := newCoder(t, m, h)
	a.Pause()
	a.Deliver(assign("wait for me"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	// The message is taken, but no turn starts while paused.
	if err := waitFor(h, messaging.EvMessageDelivered, errc); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	n := len(m.reqs)
	m.mu.Unlock()
	if n != 0 {
		t.Fatalf("paused agent called the model %d times", n)
	}
	a.Resume()
	select {
	case <-h.idle:
	case err := <-errc:
		t.Fatal(err)
	}
	if len(m.reqs) != 1 {
		t.Fatalf("%d model calls after resume", len(m.reqs))
	}
}

func TestInterruptEndsTheTurnAndWaitsForAMessage(t *testing.T) {
	m := &fakeModel{block: true, blocked: make(chan struct{})}
	blocked := m.blocked
	h := newHost("/root/coder_a")
	a, _ := newCoder(t, m, h)
	a.Deliver(assign("take forever"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	select {
	case <-blocked:
	case err := <-errc:
		t.Fatal(err)
	}
	a.Interrupt()
	select {
	case <-h.idle:
	case err := <-errc:
		t.Fatalf("agent ended instead of going idle: %v", err)
	}
	h.mu.Lock()
	last := h.events[len(h.events)-1]
	h.mu.Unlock()
	var idle messaging.AgentIdle
	if err := last.Decode(&idle); err != nil || !strings.Contains(idle.Reason, "interrupted by the user") {
		t.Fatalf("last event %s %+v %v", last.Type, idle, err)
	}
}

// waitFor blocks until the host records an event of type typ.
func waitFor(h *fakeHost, typ messaging.EventType, errc chan error) error {
	for {
		select {
		case got := <-h.all:
			if got == typ {
				return nil
			}
		case err := <-errc:
			return err
		}
	}
}
