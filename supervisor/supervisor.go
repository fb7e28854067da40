package supervisor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor/journal"
)

// Supervisor owns one state directory: its journal and the actor system
// that runs agents. One process opens it at a time.
type Supervisor struct {
	state  string
	db     *journal.DB
	system *actor.ActorSystem
	now    func() time.Time

	mu   sync.Mutex
	runs map[string]*Run
}

// Options configure Open.
type Options struct {
	// LockTimeout bounds the wait for another process's lock (default 1s).
	LockTimeout time.Duration
}

// Open takes the state directory. A second process gets an error wrapping
// journal.ErrLocked that names the holder's pid and run.
func Open(state string, opts Options) (*Supervisor, error) {
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w", state, err)
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	db, err := journal.Open(journalPath(state), journal.Options{Timeout: opts.LockTimeout})
	if err != nil {
		return nil, err
	}
	s0 := &Supervisor{state: state, db: db}
	if err := s0.markInterrupted(); err != nil {
		db.Close()
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return quiet }))
	return &Supervisor{state: state, db: db, system: system, now: time.Now, runs: map[string]*Run{}}, nil
}

// StatePath is the state directory.
func (s *Supervisor) StatePath() string { return s.state }

// Journal gives read access to the journal (for views and commands).
func (s *Supervisor) Journal() *journal.DB { return s.db }

// Close stops every run this process is running and releases the state.
func (s *Supervisor) Close() error {
	s.mu.Lock()
	runs := make([]*Run, 0, len(s.runs))
	for _, r := range s.runs {
		runs = append(runs, r)
	}
	s.mu.Unlock()
	for _, r := range runs {
		r.Cancel()
		<-r.done
	}
	s.system.Shutdown()
	return s.db.Close()
}

// Subscribe streams a run's committed events after seq `after`.
func (s *Supervisor) Subscribe(run string, after uint64) *journal.Subscription {
	return s.db.Subscribe(run, after)
}

func (s *Supervisor) record(ctx context.Context, evs ...messaging.Event) ([]messaging.Event, error) {
	out, err := s.db.Append(ctx, evs...)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return out, nil
}
