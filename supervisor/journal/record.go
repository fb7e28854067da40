package journal

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	bolt "go.etcd.io/bbolt"
)

// An event is stored (schema version 2) as a small binary header followed by
// its payload's JSON, so that reading the journal back decodes no JSON:
//
//	uvarint len(type)  type
//	uvarint len(agent) agent address ("" for a run-level event)
//	varint  gen
//	varint  unix seconds of Time, uvarint its nanoseconds (UTC)
//	payload JSON (Event.Data), to the end
//
// Run and Seq are not stored in the record: they are the bucket and the key.
// Version 1 stored the whole Event as JSON; migrateV1Records rewrites it.

var errShortRecord = errors.New("record truncated")

// encodeRecord appends ev's record to dst.
func encodeRecord(dst []byte, ev messaging.Event) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ev.Type)))
	dst = append(dst, ev.Type...)
	agent := ev.Agent.String()
	dst = binary.AppendUvarint(dst, uint64(len(agent)))
	dst = append(dst, agent...)
	dst = binary.AppendVarint(dst, int64(ev.Gen))
	t := ev.Time.UTC()
	dst = binary.AppendVarint(dst, t.Unix())
	dst = binary.AppendUvarint(dst, uint64(t.Nanosecond()))
	return append(dst, ev.Data...)
}

// recordDecoder decodes records, reusing the types and addresses it has
// seen: a run has few of each and many events.
type recordDecoder struct {
	types  map[string]messaging.EventType
	agents map[string]messaging.Address
}

func newRecordDecoder() *recordDecoder {
	return &recordDecoder{types: map[string]messaging.EventType{}, agents: map[string]messaging.Address{}}
}

// decode turns record raw (valid only during the transaction) into the
// event seq of run; the returned event shares no memory with raw.
func (d *recordDecoder) decode(run string, seq uint64, raw []byte) (messaging.Event, error) {
	ev := messaging.Event{Seq: seq, Run: run}
	fail := func(what string, err error) (messaging.Event, error) {
		return messaging.Event{}, fmt.Errorf("decode event %d of run %s: %s: %w", seq, run, what, err)
	}
	b := raw
	field := func() ([]byte, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, errShortRecord
		}
		f := b[k : k+int(n)]
		b = b[k+int(n):]
		return f, nil
	}
	typ, err := field()
	if err != nil {
		return fail("type", err)
	}
	t, ok := d.types[string(typ)]
	if !ok {
		t = messaging.EventType(typ)
		d.types[string(t)] = t
	}
	ev.Type = t
	agent, err := field()
	if err != nil {
		return fail("agent", err)
	}
	if len(agent) > 0 {
		a, ok := d.agents[string(agent)]
		if !ok {
			if a, err = messaging.ParseAddress(string(agent)); err != nil {
				return fail("agent", err)
			}
			d.agents[a.String()] = a
		}
		ev.Agent = a
	}
	gen, k := binary.Varint(b)
	if k <= 0 {
		return fail("generation", errShortRecord)
	}
	b = b[k:]
	sec, k := binary.Varint(b)
	if k <= 0 {
		return fail("time", errShortRecord)
	}
	b = b[k:]
	nsec, k := binary.Uvarint(b)
	if k <= 0 || nsec >= uint64(time.Second) {
		return fail("time", errShortRecord)
	}
	b = b[k:]
	ev.Gen = int(gen)
	ev.Time = time.Unix(sec, int64(nsec)).UTC()
	if len(b) > 0 {
		ev.Data = json.RawMessage(append([]byte(nil), b...))
	}
	return ev, nil
}

// migrateV1Records rewrites every event of every run from version 1's JSON
// into version 2's record.
func migrateV1Records(tx *bolt.Tx) error {
	runs := tx.Bucket(bucketRuns)
	return runs.ForEachBucket(func(id []byte) error {
		events := runs.Bucket(id).Bucket(bucketEvents)
		if events == nil {
			return nil
		}
		type kv struct{ k, v []byte }
		var out []kv
		if err := events.ForEach(func(k, v []byte) error {
			var ev messaging.Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("decode version 1 event %d of run %s: %w", keySeq(k), id, err)
			}
			out = append(out, kv{append([]byte(nil), k...), encodeRecord(nil, ev)})
			return nil
		}); err != nil {
			return err
		}
		for _, r := range out {
			if err := events.Put(r.k, r.v); err != nil {
				return fmt.Errorf("rewrite event %d of run %s: %w", keySeq(r.k), id, err)
			}
		}
		return nil
	})
}
