package journal

import bolt "go.etcd.io/bbolt"

// Commits is how many append transactions have committed.
func (db *DB) Commits() uint64 { return db.txCount.Load() }

// SetHooks installs test hooks; call before the DB is used concurrently.
// batch runs in the writer before each transaction with the number of
// requests in it; enqueued runs in Append once its request is pending.
func (db *DB) SetHooks(batch func(n int), enqueued func()) {
	db.hookBatch, db.hookEnqueued = batch, enqueued
}

// WithSchema makes Open target version v with the extra migrations m, until
// the returned function restores the package's own.
func WithSchema(v int, m map[int]func(tx *bolt.Tx) error) (restore func()) {
	oldV := targetVersion
	old := migrations
	merged := make(map[int]func(tx *bolt.Tx) error, len(old)+len(m))
	for k, f := range old {
		merged[k] = f
	}
	for k, f := range m {
		merged[k] = f
	}
	targetVersion, migrations = v, merged
	return func() { targetVersion, migrations = oldV, old }
}

// SchemaVersionOf reads the version recorded in an open DB.
func (db *DB) SchemaVersionOf() (string, error) {
	var v string
	err := db.view(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get(keySchema))
		return nil
	})
	return v, err
}

// Bolt exposes the underlying file for tests that forge old or new files.
func (db *DB) Bolt() *bolt.DB { return db.bolt }

// SetSubBuffer sets how many events a subscription buffers before it falls
// back to reading the file; call before Subscribe.
func (db *DB) SetSubBuffer(n int) { db.subBuffer = n }
