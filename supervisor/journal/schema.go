package journal

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the on-disk layout this package writes.
const SchemaVersion = 2

// targetVersion is what Open migrates to; tests raise it to exercise a
// migration that does not exist yet.
var targetVersion = SchemaVersion

// migrations[n] rewrites a version-n file into version n+1. Open applies
// every step from the file's version to targetVersion in the transaction
// that also records the new version, so a failed step changes nothing.
var migrations = map[int]func(tx *bolt.Tx) error{
	1: migrateV1Records,
}

var (
	bucketMeta    = []byte("meta")
	bucketRuns    = []byte("runs")
	bucketEvents  = []byte("events")
	bucketByAgent = []byte("by_agent")
	bucketAgents  = []byte("agents")
	keySummary    = []byte("summary")
	keySchema     = []byte("schema_version")
	keyCreated    = []byte("created")
)

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

func keySeq(k []byte) uint64 { return binary.BigEndian.Uint64(k) }

// migrate creates the buckets of a new file, refuses a newer one and
// upgrades an older one.
func migrate(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("create meta bucket: %w", err)
	}
	if _, err := tx.CreateBucketIfNotExists(bucketRuns); err != nil {
		return fmt.Errorf("create runs bucket: %w", err)
	}
	raw := meta.Get(keySchema)
	if raw == nil {
		// A new file: stamp it.
		if err := meta.Put(keyCreated, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
			return fmt.Errorf("record creation time: %w", err)
		}
		return putVersion(meta, targetVersion)
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return fmt.Errorf("read schema version %q: %w", raw, err)
	}
	if v > targetVersion {
		return fmt.Errorf("%w: the file has schema version %d, this cadre knows up to version %d: upgrade cadre",
			ErrNewerSchema, v, targetVersion)
	}
	for ; v < targetVersion; v++ {
		step, ok := migrations[v]
		if !ok {
			return fmt.Errorf("no migration from schema version %d to %d", v, v+1)
		}
		if err := step(tx); err != nil {
			return fmt.Errorf("migrate schema version %d to %d: %w", v, v+1, err)
		}
	}
	return putVersion(meta, targetVersion)
}

func putVersion(meta *bolt.Bucket, v int) error {
	if err := meta.Put(keySchema, []byte(strconv.Itoa(v))); err != nil {
		return fmt.Errorf("record schema version: %w", err)
	}
	return nil
}
