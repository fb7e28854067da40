package journal_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor/journal"
)

func TestMain(m *testing.M) {
	switch os.Getenv("JOURNAL_HELPER") {
	case "lock":
		os.Exit(lockHelper())
	case "crash":
		os.Exit(crashHelper())
	}
	os.Exit(m.Run())
}

const (
	runA = "r-20261123-aaaa"
	runB = "r-20261123-bbbb"
)

var (
	t0    = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	coder = messaging.MustParseAddress("/root/coder_a")
	test  = messaging.MustParseAddress("/root/coder_a/tester")
)

func openTest(t testing.TB, opts journal.Options) *journal.DB {
	t.Helper()
	db, err := journal.Open(filepath.Join(t.TempDir(), "state", "cadre.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// script is a small run: lead starts, two agents, a model turn each,
// tool call, finish.
func script(run string) []messaging.Event {
	return []messaging.Event{
		messaging.NewEvent(run, messaging.Root, 1, at(0), messaging.RunStarted{Task: "fix the bug", Repo: "/src/app", BaseCommit: "abc", ResultBranch: "cadre/" + run, Version: 1}),
		messaging.NewEvent(run, messaging.Root, 1, at(1), messaging.AgentStarted{Role: "planner", Task: "plan"}),
		messaging.NewEvent(run, coder, 1, at(2), messaging.AgentStarted{Role: "coder", Parent: messaging.Root, Task: "code"}),
		messaging.NewEvent(run, coder, 1, at(3), messaging.ModelTurn{Turn: 1, Usage: messaging.Usage{Input: 100, Output: 10}}),
		messaging.NewEvent(run, coder, 2, at(4), messaging.AgentStarted{Role: "coder", Parent: messaging.Root, Task: "code again"}),
		messaging.NewEvent(run, messaging.Root, 1, at(5), messaging.ModelTurn{Turn: 1, Usage: messaging.Usage{Input: 50, CachedInput: 5, Output: 7}}),
		messaging.NewEvent(run, coder, 2, at(6), messaging.ToolResult{CallID: "c1", Name: "shell", Output: "ok"}),
		messaging.NewEvent(run, messaging.Address{}, 0, at(7), messaging.Warning{Text: "no sandbox"}),
	}
}

func collect(t testing.TB, scan func(fn func(messaging.Event) error) error) []messaging.Event {
	t.Helper()
	var out []messaging.Event
	if err := scan(func(ev messaging.Event) error { out = append(out, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func seqs(evs []messaging.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	db := openTest(t, journal.Options{Run: runA})
	ctx := context.Background()
	in := script(runA)
	got, err := db.Append(ctx, in[:3]...)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs(got)) != "[1 2 3]" {
		t.Fatalf("seqs of first append = %v", seqs(got))
	}
	if in[0].Seq != 0 {
		t.Error("Append changed the caller's slice")
	}
	for _, ev := range in[3:] {
		if _, err := db.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Append(ctx, script(runB)[:2]...); err != nil {
		t.Fatal(err)
	}

	all := collect(t, func(fn func(messaging.Event) error) error { return db.Events(runA, 0, fn) })
	if len(all) != len(in) {
		t.Fatalf("Events gave %d events, want %d", len(all), len(in))
	}
	for i, ev := range all {
		want := in[i]
		if ev.Seq != uint64(i+1) || !ev.Time.Equal(want.Time) || ev.Run != want.Run || ev.Agent != want.Agent ||
			ev.Gen != want.Gen || ev.Type != want.Type || string(ev.Data) != string(want.Data) {
			t.Errorf("event %d = %+v, want %+v", i+1, ev, want)
		}
	}

	tests := []struct {
		name  string
		agent messaging.Address
		after uint64
		want  string
	}{
		{"coder all", coder, 0, "[3 4 5 7]"},
		{"coder after 4", coder, 4, "[5 7]"},
		{"root", messaging.Root, 0, "[1 2 6]"},
		{"no events", test, 0, "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs := collect(t, func(fn func(messaging.Event) error) error { return db.AgentEvents(runA, tc.agent, tc.after, fn) })
			if fmt.Sprint(seqs(evs)) != tc.want {
				t.Errorf("AgentEvents = %v, want %s", seqs(evs), tc.want)
			}
		})
	}
	after := collect(t, func(fn func(messaging.Event) error) error { return db.Events(runA, 6, fn) })
	if fmt.Sprint(seqs(after)) != "[7 8]" {
		t.Errorf("Events after 6 = %v", seqs(after))
	}

	if last, err := db.LastSeq(runA); err != nil || last != 8 {
		t.Errorf("LastSeq(A) = %d, %v; want 8", last, err)
	}
	if last, err := db.LastSeq(runB); err != nil || last != 2 {
		t.Errorf("LastSeq(B) = %d, %v; want 2", last, err)
	}

	stop := errors.New("stop")
	n := 0
	err = db.Events(runA, 0, func(messaging.Event) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Events with stopping fn = %v after %d calls", err, n)
	}
}

func TestUnknownRun(t *testing.T) {
	db := openTest(t, journal.Options{})
	nop := func(messaging.Event) error { return nil }
	for name, err := range map[string]error{
		"Events":       db.Events("r-20261123-none", 0, nop),
		"AgentEvents":  db.AgentEvents("r-20261123-none", coder, 0, nop),
		"SetRunStatus": db.SetRunStatus("r-20261123-none", "interrupted"),
		"DeleteRun":    db.DeleteRun("r-20261123-none"),
	} {
		if !errors.Is(err, journal.ErrNoRun) {
			t.Errorf("%s: err = %v, want ErrNoRun", name, err)
		}
	}
	if _, err := db.LastSeq("r-20261123-none"); !errors.Is(err, journal.ErrNoRun) {
		t.Errorf("LastSeq: err = %v, want ErrNoRun", err)
	}
	if _, err := db.Run("r-20261123-none"); !errors.Is(err, journal.ErrNoRun) {
		t.Errorf("Run: err = %v, want ErrNoRun", err)
	}
}

func TestRunsSummary(t *testing.T) {
	db := openTest(t, journal.Options{Run: runB})
	ctx := context.Background()
	if _, err := db.Append(ctx, script(runA)...); err != nil {
		t.Fatal(err)
	}
	b := script(runB)
	for i := range b {
		b[i].Time = b[i].Time.Add(time.Hour)
	}
	if _, err := db.Append(ctx, b[:4]...); err != nil {
		t.Fatal(err)
	}
	fin := messaging.NewEvent(runA, messaging.Root, 1, at(9), messaging.RunFinished{Status: messaging.StatusSucceeded, ResultBranch: "cadre/final"})
	if _, err := db.Append(ctx, fin); err != nil {
		t.Fatal(err)
	}

	runs, err := db.Runs()
	if err != nil {
		t.Fatal(err)
	}
	want := []messaging.RunSummary{
		{ID: runB, Repo: "/src/app", Task: "fix the bug", Status: "running", Agents: 2, Started: at(0).Add(time.Hour),
			Updated: at(3).Add(time.Hour), Usage: messaging.Usage{Input: 100, Output: 10}, ResultBranch: "cadre/" + runB, Active: true},
		{ID: runA, Repo: "/src/app", Task: "fix the bug", Status: messaging.StatusSucceeded, Agents: 2, Started: at(0),
			Updated: at(9), Usage: messaging.Usage{Input: 150, CachedInput: 5, Output: 17}, ResultBranch: "cadre/final"},
	}
	if len(runs) != len(want) {
		t.Fatalf("Runs = %+v", runs)
	}
	for i := range want {
		if !summaryEqual(runs[i], want[i]) {
			t.Errorf("Runs[%d] =\n %+v\nwant\n %+v", i, runs[i], want[i])
		}
	}

	if err := db.SetRunStatus(runB, "interrupted"); err != nil {
		t.Fatal(err)
	}
	s, err := db.Run(runB)
	if err != nil || s.Status != "interrupted" || s.Active || s.Agents != 2 {
		t.Errorf("Run(B) after SetRunStatus = %+v, %v", s, err)
	}

	if err := db.DeleteRun(runA); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Run(runA); !errors.Is(err, journal.ErrNoRun) {
		t.Errorf("Run(A) after DeleteRun: %v", err)
	}
	if runs, _ := db.Runs(); len(runs) != 1 || runs[0].ID != runB {
		t.Errorf("Runs after DeleteRun = %+v", runs)
	}
}

func summaryEqual(a, b messaging.RunSummary) bool {
	return a.ID == b.ID && a.Repo == b.Repo && a.Task == b.Task && a.Status == b.Status && a.Agents == b.Agents &&
		a.Started.Equal(b.Started) && a.Updated.Equal(b.Updated) && a.Usage == b.Usage && a.CostUSD == b.CostUSD &&
		a.ResultBranch == b.ResultBranch && a.Active == b.Active
}

func TestAppendRejects(t *testing.T) {
	db := openTest(t, journal.Options{})
	good := messaging.NewEvent(runA, coder, 1, at(0), messaging.Warning{Text: "x"})
	tests := []struct {
		name string
		mod  func(*messaging.Event)
	}{
		{"no run", func(e *messaging.Event) { e.Run = "" }},
		{"no type", func(e *messaging.Event) { e.Type = "" }},
		{"data not JSON", func(e *messaging.Event) { e.Data = []byte("{") }},
		{"model_turn payload of the wrong shape", func(e *messaging.Event) {
			e.Type, e.Data = messaging.EvModelTurn, []byte(`{"usage":"lots"}`)
		}},
		{"run_started payload of the wrong shape", func(e *messaging.Event) {
			e.Type, e.Data = messaging.EvRunStarted, []byte(`[]`)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := good
			tc.mod(&bad)
			// The good event in the same call must not be recorded either.
			_, err := db.Append(context.Background(), good, bad)
			if !errors.Is(err, journal.ErrInvalidEvent) {
				t.Errorf("err = %v, want ErrInvalidEvent", err)
			}
		})
	}
	if _, err := db.LastSeq(runA); !errors.Is(err, journal.ErrNoRun) {
		t.Errorf("a rejected call recorded something: %v", err)
	}
}

func TestConcurrentAppendsAreGapFree(t *testing.T) {
	db := openTest(t, journal.Options{})
	const goroutines, each = 16, 40
	agents := []messaging.Address{messaging.Root, coder, test}
	var wg sync.WaitGroup
	acked := make(chan uint64, goroutines*each*2)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				evs := []messaging.Event{messaging.NewEvent(runA, agents[(g+i)%3], 1, at(i), messaging.Warning{Text: fmt.Sprint(g, i)})}
				if i%4 == 0 { // some calls carry two events, of two runs
					evs = append(evs, messaging.NewEvent(runB, coder, 1, at(i), messaging.Warning{Text: "b"}))
				}
				got, err := db.Append(context.Background(), evs...)
				if err != nil {
					t.Error(err)
					return
				}
				if got[0].Seq == 0 {
					t.Error("acknowledged event without seq")
				}
				acked <- got[0].Seq
			}
		}()
	}
	wg.Wait()
	close(acked)
	seen := map[uint64]bool{}
	for s := range acked {
		if seen[s] {
			t.Fatalf("seq %d acknowledged twice", s)
		}
		seen[s] = true
	}
	for _, tc := range []struct {
		run  string
		want int
	}{{runA, goroutines * each}, {runB, goroutines * each / 4}} {
		evs := collect(t, func(fn func(messaging.Event) error) error { return db.Events(tc.run, 0, fn) })
		if len(evs) != tc.want {
			t.Errorf("%s: %d events, want %d", tc.run, len(evs), tc.want)
		}
		for i, ev := range evs {
			if ev.Seq != uint64(i+1) {
				t.Fatalf("%s: event %d has seq %d", tc.run, i+1, ev.Seq)
			}
		}
		var perAgent int
		for _, a := range agents {
			perAgent += len(collect(t, func(fn func(messaging.Event) error) error { return db.AgentEvents(tc.run, a, 0, fn) }))
		}
		if perAgent != tc.want {
			t.Errorf("%s: agent indexes hold %d events, want %d", tc.run, perAgent, tc.want)
		}
	}
}

// TestGroupCommitGroups holds the writer in its first transaction until
// every other caller is pending, so the second transaction must take them
// all at once.
func TestGroupCommitGroups(t *testing.T) {
	db := openTest(t, journal.Options{})
	const callers = 16
	release := make(chan struct{})
	enqueued := make(chan struct{}, callers)
	var sizes []int
	var first sync.Once
	db.SetHooks(func(n int) {
		sizes = append(sizes, n) // writer goroutine only
		first.Do(func() { <-release })
	}, func() { enqueued <- struct{}{} })

	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := db.Append(context.Background(), messaging.NewEvent(runA, coder, 1, at(i), messaging.Warning{Text: "x"})); err != nil {
				t.Error(err)
			}
		}()
	}
	for range callers {
		<-enqueued
	}
	close(release)
	wg.Wait()
	if got := db.Commits(); got >= callers {
		t.Errorf("%d appends took %d transactions (batches %v), want fewer", callers, got, sizes)
	}
	if last, _ := db.LastSeq(runA); last != callers {
		t.Errorf("LastSeq = %d, want %d", last, callers)
	}
}

func TestNoGroupCommitOneTxPerEvent(t *testing.T) {
	db := openTest(t, journal.Options{NoGroupCommit: true})
	if _, err := db.Append(context.Background(), script(runA)...); err != nil {
		t.Fatal(err)
	}
	if got, want := db.Commits(), uint64(len(script(runA))); got != want {
		t.Errorf("Commits = %d, want %d", got, want)
	}
}

func TestAppendAfterClose(t *testing.T) {
	db, err := journal.Open(filepath.Join(t.TempDir(), "cadre.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := db.Append(context.Background(), script(runA)[0]); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if _, err := db.Runs(); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Runs after Close: %v, want ErrClosed", err)
	}
	if err := db.SetOwnerRun(runA); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("SetOwnerRun after Close: %v, want ErrClosed", err)
	}
	if _, err := os.Stat(db.Path() + ".owner"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("owner sidecar left after Close: %v", err)
	}
}

func TestCloseFlushesPending(t *testing.T) {
	db, err := journal.Open(filepath.Join(t.TempDir(), "cadre.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	enqueued := make(chan struct{}, 8)
	var first sync.Once
	db.SetHooks(func(int) { first.Do(func() { <-release }) }, func() { enqueued <- struct{}{} })
	results := make(chan error, 4)
	for i := range 4 {
		go func() {
			_, err := db.Append(context.Background(), messaging.NewEvent(runA, coder, 1, at(i), messaging.Warning{Text: "x"}))
			results <- err
		}()
	}
	for range 4 {
		<-enqueued
	}
	closed := make(chan error)
	go func() { closed <- db.Close() }()
	close(release)
	for range 4 {
		if err := <-results; err != nil {
			t.Errorf("Append pending at Close: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	db, err = journal.Open(db.Path(), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if last, err := db.LastSeq(runA); err != nil || last != 4 {
		t.Errorf("after reopen LastSeq = %d, %v; want 4", last, err)
	}
}

func TestAppendContextCancelled(t *testing.T) {
	db := openTest(t, journal.Options{})
	release := make(chan struct{})
	enqueued := make(chan struct{}, 2)
	inBatch := make(chan struct{})
	var first sync.Once
	db.SetHooks(func(int) { first.Do(func() { close(inBatch); <-release }) }, func() { enqueued <- struct{}{} })

	firstDone := make(chan error)
	go func() {
		_, err := db.Append(context.Background(), messaging.NewEvent(runA, coder, 1, at(0), messaging.Warning{Text: "held"}))
		firstDone <- err
	}()
	<-enqueued
	<-inBatch // the writer took the first call and is held in the hook

	ctx, cancel := context.WithCancel(context.Background())
	secondDone := make(chan error)
	go func() {
		_, err := db.Append(ctx, messaging.NewEvent(runA, coder, 1, at(1), messaging.Warning{Text: "cancelled"}))
		secondDone <- err
	}()
	<-enqueued
	cancel()
	if err := <-secondDone; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Append: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	// The writer had not taken the cancelled call, so it was dropped.
	if _, err := db.Append(context.Background(), messaging.NewEvent(runA, coder, 1, at(2), messaging.Warning{Text: "after"})); err != nil {
		t.Fatal(err)
	}
	evs := collect(t, func(fn func(messaging.Event) error) error { return db.Events(runA, 0, fn) })
	if len(evs) != 2 || evs[1].Seq != 2 || string(evs[1].Data) != `{"text":"after"}` {
		t.Errorf("events = %+v", evs)
	}

	if _, err := db.Append(ctx, script(runA)[0]); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with a dead ctx: %v", err)
	}
}

func TestReopenContinuesSeq(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cadre.db")
	for round := range 3 {
		db, err := journal.Open(path, journal.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Append(context.Background(), script(runA)[:2]...)
		if err != nil {
			t.Fatal(err)
		}
		if want := uint64(round*2 + 1); got[0].Seq != want {
			t.Errorf("round %d: first seq %d, want %d", round, got[0].Seq, want)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCallbackMayAppend: scans hand events out of their transaction, so a
// callback that appends (and so waits for a commit) cannot deadlock, even
// across many chunks.
func TestCallbackMayAppend(t *testing.T) {
	db := openTest(t, journal.Options{})
	ctx := context.Background()
	batch := make([]messaging.Event, 1500)
	for i := range batch {
		batch[i] = messaging.NewEvent(runA, coder, 1, at(i), messaging.Warning{Text: "x"})
	}
	if _, err := db.Append(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := db.AgentEvents(runA, coder, 0, func(ev messaging.Event) error {
		n++
		_, err := db.Append(ctx, messaging.NewEvent(runB, coder, 1, ev.Time, messaging.Warning{Text: "copy"}))
		return err
	})
	if err != nil || n != len(batch) {
		t.Fatalf("scan: %d events, %v", n, err)
	}
	if last, _ := db.LastSeq(runB); last != uint64(len(batch)) {
		t.Errorf("copied %d events, want %d", last, len(batch))
	}
}
