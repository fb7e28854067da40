package journal

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cadre-dev/cadre/messaging"
	bolt "go.etcd.io/bbolt"
)

// readChunk is how many events one read transaction copies out before the
// caller's function sees them. Callbacks run outside any transaction.
const readChunk = 512

func runBucket(tx *bolt.Tx, id string) *bolt.Bucket {
	return tx.Bucket(bucketRuns).Bucket([]byte(id))
}

// Events calls fn with every event of run whose Seq is greater than after,
// in Seq order. An error from fn stops the scan and is returned as is. fn
// runs outside any transaction and may call Append; events committed during
// the scan may or may not be seen. An unknown run gives ErrNoRun.
func (db *DB) Events(run string, after uint64, fn func(messaging.Event) error) error {
	d := newRecordDecoder()
	return db.scan(run, after, func(tx *bolt.Tx, from uint64, buf []messaging.Event) ([]messaging.Event, error) {
		rb := runBucket(tx, run)
		if rb == nil {
			return nil, fmt.Errorf("events of run %s: %w", run, ErrNoRun)
		}
		c := rb.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(seqKey(from + 1)); k != nil && len(buf) < readChunk; k, v = c.Next() {
			ev, err := d.decode(run, keySeq(k), v)
			if err != nil {
				return nil, err
			}
			buf = append(buf, ev)
		}
		return buf, nil
	}, fn)
}

// AgentEvents is Events restricted to the events whose Agent is agent,
// read through the run's per-address index. An agent with no events gives
// no call and no error.
func (db *DB) AgentEvents(run string, agent messaging.Address, after uint64, fn func(messaging.Event) error) error {
	addr := []byte(agent.String())
	d := newRecordDecoder()
	return db.scan(run, after, func(tx *bolt.Tx, from uint64, buf []messaging.Event) ([]messaging.Event, error) {
		rb := runBucket(tx, run)
		if rb == nil {
			return nil, fmt.Errorf("events of %s in run %s: %w", agent, run, ErrNoRun)
		}
		ab := rb.Bucket(bucketByAgent).Bucket(addr)
		if ab == nil {
			return buf, nil
		}
		events := rb.Bucket(bucketEvents)
		c := ab.Cursor()
		for k, _ := c.Seek(seqKey(from + 1)); k != nil && len(buf) < readChunk; k, _ = c.Next() {
			v := events.Get(k)
			if v == nil {
				return nil, fmt.Errorf("index of %s in run %s names missing event %d", agent, run, keySeq(k))
			}
			ev, err := d.decode(run, keySeq(k), v)
			if err != nil {
				return nil, err
			}
			buf = append(buf, ev)
		}
		return buf, nil
	}, fn)
}

// scan repeats read(from) in short read transactions, handing each chunk to
// fn outside the transaction, until a chunk comes back empty.
func (db *DB) scan(run string, after uint64, read func(tx *bolt.Tx, from uint64, buf []messaging.Event) ([]messaging.Event, error), fn func(messaging.Event) error) error {
	buf := make([]messaging.Event, 0, 64)
	for {
		var err error
		buf = buf[:0]
		if verr := db.view(func(tx *bolt.Tx) error {
			buf, err = read(tx, after, buf)
			return err
		}); verr != nil {
			return verr
		}
		if len(buf) == 0 {
			return nil
		}
		for _, ev := range buf {
			if err := fn(ev); err != nil {
				return err
			}
			after = ev.Seq
		}
		if len(buf) < readChunk {
			return nil
		}
	}
}

// LastSeq returns the Seq of run's last committed event (ErrNoRun for an
// unknown run).
func (db *DB) LastSeq(run string) (uint64, error) {
	var last uint64
	err := db.view(func(tx *bolt.Tx) error {
		rb := runBucket(tx, run)
		if rb == nil {
			return fmt.Errorf("last seq of run %s: %w", run, ErrNoRun)
		}
		if k, _ := rb.Bucket(bucketEvents).Cursor().Last(); k != nil {
			last = keySeq(k)
		}
		return nil
	})
	return last, err
}

// Run returns run id's summary, or ErrNoRun.
func (db *DB) Run(id string) (messaging.RunSummary, error) {
	var s messaging.RunSummary
	err := db.view(func(tx *bolt.Tx) error {
		rb := runBucket(tx, id)
		if rb == nil {
			return fmt.Errorf("run %s: %w", id, ErrNoRun)
		}
		var err error
		s, err = decodeSummary(id, rb)
		return err
	})
	if err != nil {
		return messaging.RunSummary{}, err
	}
	s.Active = db.active(s)
	return s, nil
}

// Runs returns the summary of every recorded run, newest start first. Active
// is set for the run this process owns (SetOwnerRun) while it is running.
// CostUSD is left 0: prices are not the journal's business.
func (db *DB) Runs() ([]messaging.RunSummary, error) {
	var out []messaging.RunSummary
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRuns).ForEachBucket(func(k []byte) error {
			s, err := decodeSummary(string(k), tx.Bucket(bucketRuns).Bucket(k))
			if err != nil {
				return err
			}
			out = append(out, s)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	for i := range out {
		out[i].Active = db.active(out[i])
	}
	slices.SortFunc(out, func(a, b messaging.RunSummary) int {
		if c := b.Started.Compare(a.Started); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out, nil
}

func (db *DB) active(s messaging.RunSummary) bool {
	return s.Status == "running" && s.ID == db.currentOwnerRun()
}

func decodeSummary(id string, rb *bolt.Bucket) (messaging.RunSummary, error) {
	s := messaging.RunSummary{ID: id}
	if ev := rb.Bucket(bucketEvents); ev != nil {
		if k, _ := ev.Cursor().Last(); len(k) == 8 {
			s.Events = binary.BigEndian.Uint64(k)
		}
	}
	raw := rb.Get(keySummary)
	if raw == nil {
		return s, nil
	}
	events := s.Events
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("decode summary of run %s: %w", id, err)
	}
	s.Events = events
	return s, nil
}
