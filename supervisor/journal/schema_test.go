package journal_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor/journal"
	bolt "go.etcd.io/bbolt"
)

var genFixture = flag.Bool("gen-fixture", false, "write testdata/v1.db afresh")

const fixture = "testdata/v1.db"

// fixtureEvents is what testdata/v1.db holds: the first five events of
// runA's script and the first three of runB's.
func fixtureEvents() map[string][]messaging.Event {
	return map[string][]messaging.Event{runA: script(runA)[:5], runB: script(runB)[:3]}
}

func TestGenFixture(t *testing.T) {
	if !*genFixture {
		t.Skip("run with -gen-fixture to rewrite " + fixture)
	}
	if journal.SchemaVersion != 1 {
		t.Fatalf("%s is the version 1 fixture; this is version %d", fixture, journal.SchemaVersion)
	}
	tmp := filepath.Join(t.TempDir(), "v1.db")
	db, err := journal.Open(tmp, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range []string{runA, runB} {
		if _, err := db.Append(context.Background(), fixtureEvents()[run]...); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	copyFile(t, tmp, fixture)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// openFixtureCopy opens a copy of the v1 fixture, never the fixture itself.
func openFixtureCopy(t *testing.T) (path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "cadre.db")
	copyFile(t, fixture, path)
	return path
}

func TestV1FixtureOpens(t *testing.T) {
	db, err := journal.Open(openFixtureCopy(t), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for run, want := range fixtureEvents() {
		got := collect(t, func(fn func(messaging.Event) error) error { return db.Events(run, 0, fn) })
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, want %d", run, len(got), len(want))
		}
		for i := range want {
			if got[i].Seq != uint64(i+1) || got[i].Type != want[i].Type || got[i].Agent != want[i].Agent ||
				!got[i].Time.Equal(want[i].Time) || string(got[i].Data) != string(want[i].Data) {
				t.Errorf("%s event %d = %+v, want %+v", run, i+1, got[i], want[i])
			}
		}
	}
	s, err := db.Run(runA)
	if err != nil || s.Agents != 2 || s.Task != "fix the bug" || s.Status != "running" {
		t.Errorf("Run(A) = %+v, %v", s, err)
	}
	coderEvs := collect(t, func(fn func(messaging.Event) error) error { return db.AgentEvents(runA, coder, 0, fn) })
	if len(coderEvs) != 3 {
		t.Errorf("coder has %d events in the fixture, want 3", len(coderEvs))
	}
	// An old file keeps growing where it stopped.
	got, err := db.Append(context.Background(), script(runB)[3])
	if err != nil || got[0].Seq != 4 {
		t.Errorf("append to the fixture's run B: %+v, %v", got, err)
	}
}

func TestMigrationHookRuns(t *testing.T) {
	path := openFixtureCopy(t)
	var ran int
	next := journal.SchemaVersion + 1
	restore := journal.WithSchema(next, map[int]func(tx *bolt.Tx) error{
		journal.SchemaVersion: func(tx *bolt.Tx) error {
			ran++
			b, err := tx.CreateBucket([]byte("added_by_v2"))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte("v"))
		},
	})
	defer restore()
	db, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ran != 1 {
		t.Errorf("migration ran %d times, want 1", ran)
	}
	if v, err := db.SchemaVersionOf(); err != nil || v != fmt.Sprint(next) {
		t.Errorf("schema version after migration = %q, %v", v, err)
	}
	err = db.Bolt().View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("added_by_v2")); b == nil || string(b.Get([]byte("k"))) != "v" {
			return errors.New("migration's bucket missing")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening at the same version does not migrate again.
	db, err = journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if ran != 1 {
		t.Errorf("migration ran %d times after reopen, want 1", ran)
	}
}

func TestFailedMigrationChangesNothing(t *testing.T) {
	path := openFixtureCopy(t)
	// The real step 1 -> 2 runs and rewrites every record; the next step
	// adds a bucket and then fails: nothing of either may stay.
	next := journal.SchemaVersion + 1
	restore := journal.WithSchema(next, map[int]func(tx *bolt.Tx) error{
		journal.SchemaVersion: func(tx *bolt.Tx) error {
			if _, err := tx.CreateBucket([]byte("half")); err != nil {
				return err
			}
			return errors.New("disk on fire")
		},
	})
	_, err := journal.Open(path, journal.Options{})
	restore()
	want := fmt.Sprintf("migrate schema version %d to %d: disk on fire", journal.SchemaVersion, next)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open = %v, want it to say %q", err, want)
	}
	raw, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.View(func(tx *bolt.Tx) error {
		if v := string(tx.Bucket([]byte("meta")).Get([]byte("schema_version"))); v != "1" {
			t.Errorf("version after failed migration = %q, want 1", v)
		}
		if tx.Bucket([]byte("half")) != nil {
			t.Error("a step of a failed migration was kept")
		}
		ev := tx.Bucket([]byte("runs")).Bucket([]byte(runA)).Bucket([]byte("events")).Get([]byte{0, 0, 0, 0, 0, 0, 0, 1})
		if !json.Valid(ev) {
			t.Errorf("event 1 is no longer version 1 JSON after a failed migration: %q", ev)
		}
		return nil
	})
	raw.Close()
	// With the real migrations only, the file opens and reads.
	db, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.SchemaVersionOf(); v != fmt.Sprint(journal.SchemaVersion) {
		t.Errorf("version after migration = %q, want %d", v, journal.SchemaVersion)
	}
	if got := collect(t, func(fn func(messaging.Event) error) error { return db.Events(runA, 0, fn) }); len(got) != 5 {
		t.Errorf("run A has %d events after migration, want 5", len(got))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := openFixtureCopy(t)
	restore := journal.WithSchema(journal.SchemaVersion+1, map[int]func(tx *bolt.Tx) error{
		journal.SchemaVersion: func(*bolt.Tx) error { return nil },
	})
	db, err := journal.Open(path, journal.Options{})
	restore()
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err = journal.Open(path, journal.Options{})
	if !errors.Is(err, journal.ErrNewerSchema) {
		t.Fatalf("Open of a newer file = %v, want ErrNewerSchema", err)
	}
	for _, part := range []string{fmt.Sprintf("schema version %d", journal.SchemaVersion+1), fmt.Sprintf("up to version %d", journal.SchemaVersion), "upgrade cadre"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not say %q", err, part)
		}
	}
	if _, err := os.Stat(path + ".owner"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refused Open left an owner sidecar: %v", err)
	}
}
