package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// appendReq is one Append call waiting for the writer.
type appendReq struct {
	ctx  context.Context
	evs  []messaging.Event
	prep []prepared
	done chan error // cap 1; nil error means evs carry their Seq
}

// prepared is the part of recording an event that needs no transaction,
// done in the caller's goroutine so that the writer only copies bytes.
type prepared struct {
	enc     []byte // the event's record (see record.go)
	started *messaging.RunStarted
	fin     *messaging.RunFinished
	usage   *messaging.Usage
	cost    float64
}

func prepare(ev messaging.Event) (prepared, error) {
	var p prepared
	if ev.Run == "" {
		return p, fmt.Errorf("%w: %s event without a run", ErrInvalidEvent, ev.Type)
	}
	if ev.Type == "" {
		return p, fmt.Errorf("%w: event of run %s without a type", ErrInvalidEvent, ev.Run)
	}
	if len(ev.Data) > 0 {
		// Stored compact, as JSON encoding would; invalid JSON is refused.
		var data bytes.Buffer
		if err := json.Compact(&data, ev.Data); err != nil {
			return p, fmt.Errorf("%w: encode %s event: %v", ErrInvalidEvent, ev.Type, err)
		}
		ev.Data = data.Bytes()
	}
	p.enc = encodeRecord(make([]byte, 0, 32+len(ev.Data)), ev)
	var err error
	decode := func(v messaging.Payload) error {
		if err := ev.Decode(v); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidEvent, err)
		}
		return nil
	}
	switch ev.Type {
	case messaging.EvRunStarted:
		p.started = new(messaging.RunStarted)
		err = decode(p.started)
	case messaging.EvRunFinished:
		p.fin = new(messaging.RunFinished)
		err = decode(p.fin)
	case messaging.EvModelTurn:
		var mt messaging.ModelTurn
		err = decode(&mt)
		p.usage = &mt.Usage
		p.cost = mt.CostUSD
	case messaging.EvCompacted:
		var c messaging.Compacted
		err = decode(&c)
		p.usage = &c.Usage
		p.cost = c.CostUSD
	}
	return p, err
}

// Append records evs and returns them with Seq set, once the transaction
// holding them has committed and been synced to disk. Every event needs Run
// and Type; Seq is ignored and assigned per run from 1, gap-free, in commit
// order (the events of one call stay in order and contiguous per run). Time
// is kept as given.
//
// If ctx ends while the call waits, Append returns ctx.Err(); the events are
// then dropped if the writer had not taken them yet, but may still be
// committed if it had. Append after Close returns ErrClosed.
func (db *DB) Append(ctx context.Context, evs ...messaging.Event) ([]messaging.Event, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := &appendReq{
		ctx:  ctx,
		evs:  append([]messaging.Event(nil), evs...),
		prep: make([]prepared, len(evs)),
		done: make(chan error, 1),
	}
	for i, ev := range evs {
		p, err := prepare(ev)
		if err != nil {
			return nil, fmt.Errorf("append event %d: %w", i, err)
		}
		req.prep[i] = p
	}
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil, ErrClosed
	}
	db.pending = append(db.pending, req)
	db.mu.Unlock()
	db.poke()
	if db.hookEnqueued != nil {
		db.hookEnqueued()
	}
	select {
	case err := <-req.done:
		if err != nil {
			return nil, err
		}
		return req.evs, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (db *DB) poke() {
	select {
	case db.wake <- struct{}{}:
	default:
	}
}

// maxGather bounds how long the writer waits for callers to come back
// before it starts a transaction; see gather.
const maxGather = 500 * time.Microsecond

// writer is the only goroutine that runs append transactions. Each time it
// wakes it takes everything pending and commits it as one transaction.
func (db *DB) writer() {
	defer close(db.stopped)
	var (
		target     int           // callers expected for the next transaction
		lastCommit time.Duration // how long it took
	)
	for range db.wake {
		if db.group && target > 1 {
			db.gather(target, min(maxGather, lastCommit/4))
		}
		db.mu.Lock()
		batch, closed := db.pending, db.closed
		db.pending = nil
		db.mu.Unlock()
		live := batch[:0]
		for _, r := range batch {
			if r.ctx.Err() != nil {
				r.done <- r.ctx.Err() // nobody may be listening; done is buffered
				continue
			}
			live = append(live, r)
		}
		if len(live) > 0 {
			if db.hookBatch != nil {
				db.hookBatch(len(live))
			}
			start := time.Now()
			if db.group {
				db.commitBatch(live)
			} else {
				for _, r := range live {
					db.commitEach(r)
				}
			}
			lastCommit = time.Since(start)
			// The callers just answered plus those that queued meanwhile
			// estimate how many will be pending once all come back.
			db.mu.Lock()
			target = len(live) + len(db.pending)
			db.mu.Unlock()
		}
		if closed {
			// Append refuses new work once closed is set, so nothing
			// can be pending any more.
			return
		}
	}
}

// gather lets the callers just answered come back before the next
// transaction starts. Without it, the writer wakes for the first few
// returning callers, makes them pay a whole fsync, and the batches
// alternate small and large. It waits until target requests are pending
// (those answered by the last transaction plus those that queued during
// it), for window at most (a quarter of the last commit's time, capped at
// maxGather), or until Close. A lone caller (target 1) never waits.
func (db *DB) gather(target int, window time.Duration) {
	if window <= 0 {
		return
	}
	timer := time.NewTimer(window)
	defer timer.Stop()
	for {
		db.mu.Lock()
		n, closed := len(db.pending), db.closed
		db.mu.Unlock()
		if n >= target || closed {
			return
		}
		select {
		case <-db.wake:
		case <-timer.C:
			return
		}
	}
}

// commitBatch commits reqs in one transaction; if that fails, it tries each
// request on its own so that one failure does not fail the others.
func (db *DB) commitBatch(reqs []*appendReq) {
	err := db.commit(reqs)
	if err != nil && len(reqs) > 1 {
		for _, r := range reqs {
			db.commitEach(r)
		}
		return
	}
	db.finish(reqs, err)
}

// commitEach commits one request; with NoGroupCommit one event per
// transaction.
func (db *DB) commitEach(r *appendReq) {
	if db.group {
		db.finish([]*appendReq{r}, db.commit([]*appendReq{r}))
		return
	}
	for i := range r.evs {
		one := &appendReq{ctx: r.ctx, evs: r.evs[i : i+1], prep: r.prep[i : i+1]}
		if err := db.commit([]*appendReq{one}); err != nil {
			db.finish([]*appendReq{r}, err)
			return
		}
		db.publish(one.evs)
	}
	r.done <- nil
}

// finish tells subscribers and callers about a committed (err == nil) or
// failed transaction.
func (db *DB) finish(reqs []*appendReq, err error) {
	if err != nil {
		err = fmt.Errorf("append to journal: %w", err)
		for _, r := range reqs {
			r.done <- err
		}
		return
	}
	for _, r := range reqs {
		db.publish(r.evs)
	}
	for _, r := range reqs {
		r.done <- nil
	}
}

// runTx is one run's state inside an append transaction.
type runTx struct {
	run     *bolt.Bucket
	events  *bolt.Bucket
	byAgent *bolt.Bucket
	agents  *bolt.Bucket
	last    uint64
	sum     messaging.RunSummary
}

func (db *DB) commit(reqs []*appendReq) error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		runs := tx.Bucket(bucketRuns)
		states := make(map[string]*runTx)
		for _, r := range reqs {
			for i := range r.evs {
				ev := &r.evs[i]
				st := states[ev.Run]
				if st == nil {
					var err error
					if st, err = openRunTx(runs, ev.Run); err != nil {
						return err
					}
					states[ev.Run] = st
				}
				if err := st.add(ev, &r.prep[i]); err != nil {
					return err
				}
			}
		}
		for id, st := range states {
			b, err := json.Marshal(st.sum)
			if err != nil {
				return fmt.Errorf("encode summary of run %s: %w", id, err)
			}
			if err := st.run.Put(keySummary, b); err != nil {
				return fmt.Errorf("store summary of run %s: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		for _, r := range reqs {
			for i := range r.evs {
				r.evs[i].Seq = 0
			}
		}
		return err
	}
	db.txCount.Add(1)
	return nil
}

// appendFill packs full pages: keys only ever grow at the end of the
// events and index buckets, so half-empty pages after splits (bbolt's
// default 0.5) would only double the pages every commit writes.
const appendFill = 1.0

func openRunTx(runs *bolt.Bucket, id string) (*runTx, error) {
	st := &runTx{}
	var err error
	if st.run, err = runs.CreateBucketIfNotExists([]byte(id)); err != nil {
		return nil, fmt.Errorf("create bucket of run %q: %w", id, err)
	}
	for _, b := range []struct {
		dst  **bolt.Bucket
		name []byte
	}{{&st.events, bucketEvents}, {&st.byAgent, bucketByAgent}, {&st.agents, bucketAgents}} {
		if *b.dst, err = st.run.CreateBucketIfNotExists(b.name); err != nil {
			return nil, fmt.Errorf("create %s bucket of run %s: %w", b.name, id, err)
		}
		(*b.dst).FillPercent = appendFill
	}
	if k, _ := st.events.Cursor().Last(); k != nil {
		st.last = keySeq(k)
	}
	if raw := st.run.Get(keySummary); raw != nil {
		if err := json.Unmarshal(raw, &st.sum); err != nil {
			return nil, fmt.Errorf("decode summary of run %s: %w", id, err)
		}
	}
	st.sum.ID = id
	return st, nil
}

func (st *runTx) add(ev *messaging.Event, p *prepared) error {
	st.last++
	ev.Seq = st.last
	key := seqKey(ev.Seq)
	if err := st.events.Put(key, p.enc); err != nil {
		return fmt.Errorf("store event %d of run %s: %w", ev.Seq, ev.Run, err)
	}
	if !ev.Agent.IsZero() {
		addr := []byte(ev.Agent.String())
		ab, err := st.byAgent.CreateBucketIfNotExists(addr)
		if err != nil {
			return fmt.Errorf("create index of %s in run %s: %w", ev.Agent, ev.Run, err)
		}
		ab.FillPercent = appendFill
		if err := ab.Put(key, nil); err != nil {
			return fmt.Errorf("index event %d of run %s: %w", ev.Seq, ev.Run, err)
		}
		if ev.Type == messaging.EvAgentStarted && st.agents.Get(addr) == nil {
			if err := st.agents.Put(addr, key); err != nil {
				return fmt.Errorf("record agent %s of run %s: %w", ev.Agent, ev.Run, err)
			}
			st.sum.Agents++
		}
	}
	s := &st.sum
	if s.Started.IsZero() {
		s.Started = ev.Time
	}
	if s.Status == "" {
		s.Status = "running"
	}
	switch {
	case p.started != nil:
		s.Repo, s.Task, s.ResultBranch = p.started.Repo, p.started.Task, p.started.ResultBranch
		s.Started = ev.Time
		s.Status = "running"
	case p.fin != nil:
		s.Status = p.fin.Status
		if p.fin.ResultBranch != "" {
			s.ResultBranch = p.fin.ResultBranch
		}
	case p.usage != nil:
		s.Usage = s.Usage.Add(*p.usage)
		s.CostUSD += p.cost
	}
	s.Updated = ev.Time
	return nil
}

// SetRunStatus overrides the status in run id's summary, e.g. "interrupted"
// when a supervisor finds a run that no process finished. It records no
// event.
func (db *DB) SetRunStatus(id, status string) error {
	err := db.update(func(tx *bolt.Tx) error {
		rb := tx.Bucket(bucketRuns).Bucket([]byte(id))
		if rb == nil {
			return ErrNoRun
		}
		var s messaging.RunSummary
		if raw := rb.Get(keySummary); raw != nil {
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("decode summary: %w", err)
			}
		}
		s.ID, s.Status = id, status
		b, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode summary: %w", err)
		}
		return rb.Put(keySummary, b)
	})
	if err != nil {
		return fmt.Errorf("set status of run %s: %w", id, err)
	}
	return nil
}

// DeleteRun removes run id and everything recorded for it, and ends its
// subscriptions (their Err is ErrNoRun).
func (db *DB) DeleteRun(id string) error {
	err := db.update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketRuns).DeleteBucket([]byte(id))
		if err != nil && errors.Is(err, berrors.ErrBucketNotFound) {
			return ErrNoRun
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete run %s: %w", id, err)
	}
	db.endSubscriptions(id, ErrNoRun)
	return nil
}
