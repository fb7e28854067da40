package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrLocked is wrapped by *LockedError: another live process holds the
	// state file.
	ErrLocked = errors.New("state is locked")
	// ErrNewerSchema: the file was written by a newer cadre.
	ErrNewerSchema = errors.New("journal schema is newer than this cadre")
	// ErrClosed: the DB has been closed.
	ErrClosed = errors.New("journal is closed")
	// ErrNoRun: no run with that id is recorded.
	ErrNoRun = errors.New("no such run")
	// ErrInvalidEvent: an event given to Append cannot be recorded.
	ErrInvalidEvent = errors.New("invalid event")
)

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = time.Second

// LockedError says which process holds the state file, as recorded in the
// owner sidecar. PID is 0 when the sidecar could not be read.
type LockedError struct {
	PID int
	Run string
}

func (e *LockedError) Error() string {
	if e.PID == 0 {
		return "state is locked by another process"
	}
	if e.Run == "" {
		return fmt.Sprintf("state is locked by pid %d", e.PID)
	}
	return fmt.Sprintf("state is locked by pid %d (run %s)", e.PID, e.Run)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// Options configure Open.
type Options struct {
	// Timeout bounds the wait for the file lock; 0 means DefaultTimeout.
	Timeout time.Duration
	// Run is the run this process works on, recorded in the owner sidecar
	// so that a second process can say who holds the lock.
	Run string
	// NoGroupCommit commits every event in its own transaction. It exists
	// only as the benchmarks' reference; never use it otherwise.
	NoGroupCommit bool
}

// DB is an open journal. Its methods are safe for concurrent use.
type DB struct {
	path  string
	bolt  *bolt.DB
	group bool

	// Pending appends, taken by the writer goroutine.
	mu      sync.Mutex
	pending []*appendReq
	closed  bool
	wake    chan struct{} // cap 1: something is pending, or closed
	stopped chan struct{} // closed when the writer goroutine has exited

	closeOnce sync.Once
	closeErr  error
	txCount   atomic.Uint64

	ownerMu  sync.Mutex
	ownerRun string

	subsMu    sync.Mutex
	subs      map[*Subscription]struct{}
	subBuffer int // events a subscription buffers before it reads the file

	// Test hooks, set only by export_test.go before use.
	hookBatch    func(n int) // writer, before a transaction of n requests
	hookEnqueued func()      // Append, after its request is pending
}

// owner is the sidecar's content.
type owner struct {
	PID   int       `json:"pid"`
	Run   string    `json:"run,omitempty"`
	Since time.Time `json:"since"`
}

// Open opens (creating if needed) the journal at path, takes its lock,
// records this process as owner and migrates the schema. A file locked by
// another process yields a *LockedError within about opts.Timeout; a file
// of a newer schema an error wrapping ErrNewerSchema.
func Open(path string, opts Options) (*DB, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			le := &LockedError{}
			if o, rerr := readOwner(ownerPath(path)); rerr == nil {
				le.PID, le.Run = o.PID, o.Run
			}
			return nil, le
		}
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	db := &DB{
		path:      path,
		bolt:      bdb,
		group:     !opts.NoGroupCommit,
		wake:      make(chan struct{}, 1),
		stopped:   make(chan struct{}),
		ownerRun:  opts.Run,
		subs:      make(map[*Subscription]struct{}),
		subBuffer: defaultSubBuffer,
	}
	if err := db.writeOwner(); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	if err := bdb.Update(migrate); err != nil {
		_ = os.Remove(ownerPath(path))
		_ = bdb.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	go db.writer()
	return db, nil
}

// Path returns the file's path.
func (db *DB) Path() string { return db.path }

// SetOwnerRun records run as the one this process works on, in the owner
// sidecar that a second process reads when it finds the file locked.
func (db *DB) SetOwnerRun(run string) error {
	db.mu.Lock()
	closed := db.closed
	db.mu.Unlock()
	if closed {
		return ErrClosed
	}
	db.ownerMu.Lock()
	db.ownerRun = run
	db.ownerMu.Unlock()
	return db.writeOwner()
}

func (db *DB) currentOwnerRun() string {
	db.ownerMu.Lock()
	defer db.ownerMu.Unlock()
	return db.ownerRun
}

func ownerPath(dbPath string) string { return dbPath + ".owner" }

// writeOwner replaces the sidecar atomically, so a reader never sees half
// of it.
func (db *DB) writeOwner() error {
	db.ownerMu.Lock()
	defer db.ownerMu.Unlock()
	b, err := json.Marshal(owner{PID: os.Getpid(), Run: db.ownerRun, Since: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("write journal owner: %w", err)
	}
	p := ownerPath(db.path)
	tmp := p + ".tmp-" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write journal owner: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write journal owner: %w", err)
	}
	return nil
}

func readOwner(p string) (owner, error) {
	var o owner
	b, err := os.ReadFile(p)
	if err != nil {
		return o, fmt.Errorf("read journal owner: %w", err)
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o, fmt.Errorf("read journal owner %s: %w", p, err)
	}
	return o, nil
}

// Close commits every pending append, stops the writer, ends all
// subscriptions (their Err is ErrClosed), removes the owner sidecar and
// releases the file. Later calls return the first call's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.mu.Lock()
		db.closed = true
		db.mu.Unlock()
		db.poke()
		<-db.stopped

		db.subsMu.Lock()
		subs := make([]*Subscription, 0, len(db.subs))
		for s := range db.subs {
			subs = append(subs, s)
		}
		db.subs = nil
		db.subsMu.Unlock()
		for _, s := range subs {
			s.stop(ErrClosed)
			<-s.finished
		}

		var errs []error
		if err := os.Remove(ownerPath(db.path)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove journal owner: %w", err))
		}
		if err := db.bolt.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close journal %s: %w", db.path, err))
		}
		db.closeErr = errors.Join(errs...)
	})
	return db.closeErr
}

func (db *DB) isClosed() bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.closed
}

// view runs a read transaction, mapping a closed bbolt to ErrClosed.
func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	if db.isClosed() {
		return ErrClosed
	}
	err := db.bolt.View(fn)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// update runs a write transaction outside the append path.
func (db *DB) update(fn func(tx *bolt.Tx) error) error {
	if db.isClosed() {
		return ErrClosed
	}
	err := db.bolt.Update(fn)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
