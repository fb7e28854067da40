package journal

import (
	"errors"
	"sync"

	"github.com/cadre-dev/cadre/messaging"
)

// defaultSubBuffer is how many committed events a subscription holds in
// memory for a consumer that lags; beyond it the subscription reads from
// the file.
const defaultSubBuffer = 4096

var errStopped = errors.New("subscription stopped")

// Subscription delivers a run's events in Seq order, without gaps or
// duplicates: first the committed events after the requested Seq, then each
// new one once it commits. C is closed when the subscription ends: by
// Close, by DB.Close (Err is ErrClosed), by DeleteRun of its run (Err is
// ErrNoRun) or by a read error (Err says which).
//
// A slow consumer never blocks Append: new events wait in a bounded buffer,
// and when that overflows the subscription drops the buffer and catches up
// by reading the journal itself.
type Subscription struct {
	C <-chan messaging.Event

	c     chan messaging.Event
	db    *DB
	run   string
	after uint64

	mu       sync.Mutex
	buf      []messaging.Event
	overflow bool
	err      error

	wake     chan struct{} // cap 1
	done     chan struct{}
	stopOnce sync.Once
	finished chan struct{}
}

// Subscribe starts a subscription to run's events with Seq greater than
// after. The run need not exist yet. Call Close when done.
func (db *DB) Subscribe(run string, after uint64) *Subscription {
	s := &Subscription{
		c:        make(chan messaging.Event, 64),
		db:       db,
		run:      run,
		after:    after,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		finished: make(chan struct{}),
	}
	s.C = s.c
	db.subsMu.Lock()
	if db.subs == nil {
		db.subsMu.Unlock()
		s.stop(ErrClosed)
		close(s.finished)
		close(s.c)
		return s
	}
	// Registered before the first read, so that nothing committed from
	// now on can be missed.
	db.subs[s] = struct{}{}
	db.subsMu.Unlock()
	go s.loop()
	return s
}

// Close ends the subscription and waits for its goroutine; C is closed
// when it returns. Err is nil afterwards unless the subscription had
// already ended for another reason.
func (s *Subscription) Close() {
	s.stop(nil)
	<-s.finished
	s.db.subsMu.Lock()
	delete(s.db.subs, s)
	s.db.subsMu.Unlock()
}

// Err says why C was closed; nil while it is open or after Close.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Subscription) stop(err error) {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(s.done)
	})
}

// push is called by the writer after a commit; it never blocks.
func (s *Subscription) push(evs []messaging.Event) {
	s.mu.Lock()
	if !s.overflow {
		if len(s.buf)+len(evs) > s.db.subBuffer {
			s.overflow, s.buf = true, nil
		} else {
			s.buf = append(s.buf, evs...)
		}
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Subscription) loop() {
	defer close(s.c)
	defer close(s.finished)
	last := s.after
	fromDisk := true
	for {
		if fromDisk {
			var ok bool
			if last, ok = s.catchUp(last); !ok {
				return
			}
		}
		select {
		case <-s.wake:
		case <-s.done:
			return
		}
		s.mu.Lock()
		buf, overflow := s.buf, s.overflow
		s.buf, s.overflow = nil, false
		s.mu.Unlock()
		i := 0
		for i < len(buf) && buf[i].Seq <= last {
			i++
		}
		buf = buf[i:]
		// The buffer holds a contiguous run of commits; a gap means it
		// overflowed (or began before a catch-up ended): read the file.
		fromDisk = overflow || (len(buf) > 0 && buf[0].Seq != last+1)
		if fromDisk {
			continue
		}
		for _, ev := range buf {
			if !s.send(ev) {
				return
			}
			last = ev.Seq
		}
	}
}

// catchUp delivers every committed event after last from the file.
func (s *Subscription) catchUp(last uint64) (uint64, bool) {
	err := s.db.Events(s.run, last, func(ev messaging.Event) error {
		if !s.send(ev) {
			return errStopped
		}
		last = ev.Seq
		return nil
	})
	switch {
	case err == nil, errors.Is(err, ErrNoRun):
		return last, true
	case errors.Is(err, errStopped):
		return last, false
	default:
		s.stop(err)
		return last, false
	}
}

func (s *Subscription) send(ev messaging.Event) bool {
	select {
	case s.c <- ev:
		return true
	case <-s.done:
		return false
	}
}

// publish hands committed events to the subscriptions of their runs.
func (db *DB) publish(evs []messaging.Event) {
	db.subsMu.Lock()
	defer db.subsMu.Unlock()
	if len(db.subs) == 0 {
		return
	}
	for s := range db.subs {
		var mine []messaging.Event
		for _, ev := range evs {
			if ev.Run == s.run {
				mine = append(mine, ev)
			}
		}
		if len(mine) > 0 {
			s.push(mine)
		}
	}
}

// endSubscriptions stops every subscription of run with err.
func (db *DB) endSubscriptions(run string, err error) {
	db.subsMu.Lock()
	defer db.subsMu.Unlock()
	for s := range db.subs {
		if s.run == run {
			s.stop(err)
			delete(db.subs, s)
		}
	}
}
