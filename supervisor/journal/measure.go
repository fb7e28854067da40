package journal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

// MeasureAppend creates a fresh journal file in dir (and leaves it there),
// appends events tool_result events of about 400 bytes from writers
// goroutines, one event per Append call, and returns the rate at which
// they were acknowledged. group=false measures the reference: one
// transaction, and so one fsync, per event. It is what `make bench` prints.
func MeasureAppend(dir string, events, writers int, group bool) (perSecond float64, err error) {
	if events <= 0 || writers <= 0 {
		return 0, fmt.Errorf("measure append: want events and writers > 0, got %d and %d", events, writers)
	}
	name := "journal-group.db"
	if !group {
		name = "journal-per-event.db"
	}
	path := filepath.Join(dir, name)
	for _, p := range []string{path, ownerPath(path)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("measure append: %w", err)
		}
	}
	db, err := Open(path, Options{NoGroupCommit: !group})
	if err != nil {
		return 0, fmt.Errorf("measure append: %w", err)
	}
	start := time.Now()
	err = appendLoad(db, "r-20261123-meas", events, writers)
	elapsed := time.Since(start)
	if cerr := db.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return 0, fmt.Errorf("measure append: %w", err)
	}
	return float64(events) / elapsed.Seconds(), nil
}

// appendLoad appends n events to run from writers goroutines, spread over
// eight agents.
func appendLoad(db *DB, run string, n, writers int) error {
	agents := make([]messaging.Address, 8)
	for i := range agents {
		agents[i] = messaging.MustParseAddress(fmt.Sprintf("/root/coder_%d", i))
	}
	output := strings.Repeat("ok  \tgithub.com/x/y\t0.01s\n", 8)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		count := n / writers
		if w < n%writers {
			count++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := range count {
				ev := messaging.NewEvent(run, agents[(w+i)%len(agents)], 1, time.Now(), messaging.ToolResult{
					CallID: fmt.Sprintf("call_%d_%d", w, i), Name: "shell", Output: output, DurationMS: 12,
				})
				if _, err := db.Append(ctx, ev); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
