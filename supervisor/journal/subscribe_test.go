package journal_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor/journal"
)

func warn(run string, i int) messaging.Event {
	return messaging.NewEvent(run, coder, 1, at(i), messaging.Warning{Text: fmt.Sprint(i)})
}

// expect reads n events from s and checks they carry seqs from..from+n-1.
func expect(t *testing.T, s *journal.Subscription, from uint64, n int) {
	t.Helper()
	for i := range n {
		ev, ok := <-s.C
		if !ok {
			t.Fatalf("subscription ended after %d events: %v", i, s.Err())
		}
		if want := from + uint64(i); ev.Seq != want || ev.Run != runA {
			t.Fatalf("got %s seq %d, want %s seq %d", ev.Run, ev.Seq, runA, want)
		}
	}
}

func TestSubscribeReplayThenLive(t *testing.T) {
	db := openTest(t, journal.Options{})
	ctx := context.Background()
	for i := range 5 {
		if _, err := db.Append(ctx, warn(runA, i)); err != nil {
			t.Fatal(err)
		}
	}
	s := db.Subscribe(runA, 2)
	defer s.Close()
	expect(t, s, 3, 3) // replay
	for i := 5; i < 10; i++ {
		if _, err := db.Append(ctx, warn(runA, i), warn(runB, i)); err != nil {
			t.Fatal(err)
		}
		expect(t, s, uint64(i+1), 1) // live, one by one
	}
	// A subscription to a run that does not exist yet sees it begin.
	c := db.Subscribe("r-20261123-late", 0)
	defer c.Close()
	if _, err := db.Append(ctx, warn("r-20261123-late", 0)); err != nil {
		t.Fatal(err)
	}
	if ev := <-c.C; ev.Seq != 1 || ev.Run != "r-20261123-late" {
		t.Errorf("late run: %+v", ev)
	}
}

// TestSlowSubscriber appends far more than the subscription buffers while
// nobody reads; the appends complete and the reader still gets everything,
// in order, once.
func TestSlowSubscriber(t *testing.T) {
	db := openTest(t, journal.Options{})
	db.SetSubBuffer(100)
	s := db.Subscribe(runA, 0)
	defer s.Close()
	const writers, each = 8, 50 // 480 events, over four times the buffer
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				evs := []messaging.Event{warn(runA, w*each+i)}
				if i%10 == 0 {
					evs = append(evs, warn(runA, -1), warn(runA, -2))
				}
				if _, err := db.Append(context.Background(), evs...); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait() // completes although nobody has read s.C
	total := writers * (each + each/10*2)
	expect(t, s, 1, total)
	if _, err := db.Append(context.Background(), warn(runA, 0)); err != nil {
		t.Fatal(err)
	}
	expect(t, s, uint64(total+1), 1)
}

func TestSubscriptionEnds(t *testing.T) {
	tests := []struct {
		name string
		end  func(db *journal.DB, s *journal.Subscription)
		want error
	}{
		{"Close", func(_ *journal.DB, s *journal.Subscription) { s.Close() }, nil},
		{"DB.Close", func(db *journal.DB, _ *journal.Subscription) { db.Close() }, journal.ErrClosed},
		{"DeleteRun", func(db *journal.DB, _ *journal.Subscription) { db.DeleteRun(runA) }, journal.ErrNoRun},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, journal.Options{})
			if _, err := db.Append(context.Background(), warn(runA, 0)); err != nil {
				t.Fatal(err)
			}
			s := db.Subscribe(runA, 0)
			expect(t, s, 1, 1)
			tc.end(db, s)
			for range s.C { // must be closed
			}
			if err := s.Err(); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("Err = %v, want %v", err, tc.want)
			}
			s.Close() // idempotent
		})
	}
	db := openTest(t, journal.Options{})
	db.Close()
	s := db.Subscribe(runA, 0)
	if _, ok := <-s.C; ok || !errors.Is(s.Err(), journal.ErrClosed) {
		t.Errorf("Subscribe on a closed DB: open channel or Err %v", s.Err())
	}
	s.Close()
}
