package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor"
	"github.com/cadre-dev/cadre/supervisor/journal"
	"github.com/cadre-dev/cadre/ui"
)

// localSource serves the views from a supervisor this process holds: the
// running one of `cadre run`, or a journal opened to show finished runs.
type localSource struct{ sup *supervisor.Supervisor }

func (s localSource) Runs(ctx context.Context) ([]messaging.RunSummary, error) {
	return s.sup.Journal().Runs()
}

func (s localSource) Events(ctx context.Context, run string, after uint64) (<-chan messaging.Event, <-chan error) {
	out := make(chan messaging.Event, 256)
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(out)
		sub := s.sup.Subscribe(run, after)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.C:
				if !ok {
					if err := sub.Err(); err != nil {
						errc <- err
					}
					return
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, errc
}

func (s localSource) Control(ctx context.Context, run string, c messaging.Control) error {
	return s.sup.Control(ctx, run, c)
}

func (s localSource) Diff(ctx context.Context, run string, agent messaging.Address) (string, error) {
	return s.sup.Diff(ctx, run, agent)
}

// openSource connects to the state directory: through the running
// supervisor's local API when one holds the state, else by opening the
// journal itself (then only finished runs can be shown, not steered).
func openSource(state string) (ui.Source, func(), error) {
	sup, err := supervisor.Open(state, supervisor.Options{LockTimeout: 200 * time.Millisecond})
	if err == nil {
		return localSource{sup: sup}, func() { sup.Close() }, nil
	}
	if !errors.Is(err, journal.ErrLocked) {
		return nil, nil, err
	}
	sock := supervisor.SocketPath(state)
	if _, serr := os.Stat(sock); serr != nil {
		return nil, nil, fmt.Errorf("%w; and its local API socket %s is missing", err, sock)
	}
	return ui.NewAPIClient(sock), func() {}, nil
}

func stateDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	return supervisor.StateDir()
}
