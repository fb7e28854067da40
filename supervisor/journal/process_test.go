package journal_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor/journal"
)

// helper re-executes the test binary as a helper process of kind.
func helper(t *testing.T, kind, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "JOURNAL_HELPER="+kind, "JOURNAL_PATH="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

// lockHelper tries to open a journal held by its parent and prints the
// error and how long it took.
func lockHelper() int {
	start := time.Now()
	db, err := journal.Open(os.Getenv("JOURNAL_PATH"), journal.Options{Timeout: time.Second})
	elapsed := time.Since(start)
	if err == nil {
		db.Close()
		fmt.Println("opened")
		return 1
	}
	var le *journal.LockedError
	fmt.Printf("%d\t%t\t%t\t%s\n", elapsed.Milliseconds(), errors.Is(err, journal.ErrLocked), errors.As(err, &le), err)
	return 0
}

func TestLockedBySecondProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cadre.db")
	db, err := journal.Open(path, journal.Options{Run: "r-20261123-old1"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SetOwnerRun(runA); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	out, err := helper(t, "lock", path).Output()
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("helper: %v (output %q)", err, out)
	}
	fields := strings.SplitN(strings.TrimSpace(string(out)), "\t", 4)
	if len(fields) != 4 {
		t.Fatalf("helper printed %q", out)
	}
	want := fmt.Sprintf("state is locked by pid %d (run %s)", os.Getpid(), runA)
	if fields[3] != want || fields[1] != "true" || fields[2] != "true" {
		t.Errorf("second process got %q (Is ErrLocked %s, As *LockedError %s), want %q", fields[3], fields[1], fields[2], want)
	}
	ms, _ := strconv.Atoi(fields[0])
	t.Logf("second Open failed after %d ms (helper process wall time %v)", ms, wall)
	if ms > 5000 {
		t.Errorf("second Open took %d ms to fail, want about 1000", ms)
	}
}

func TestLockedInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cadre.db")
	db, err := journal.Open(path, journal.Options{Run: runB})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = journal.Open(path, journal.Options{Timeout: 100 * time.Millisecond})
	var le *journal.LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || le.Run != runB {
		t.Fatalf("second Open: %v", err)
	}
}

func TestLockedErrorText(t *testing.T) {
	tests := []struct {
		err  journal.LockedError
		want string
	}{
		{journal.LockedError{PID: 42, Run: runA}, "state is locked by pid 42 (run " + runA + ")"},
		{journal.LockedError{PID: 42}, "state is locked by pid 42"},
		{journal.LockedError{}, "state is locked by another process"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// crashHelper appends until killed, printing each acknowledged seq.
func crashHelper() int {
	db, err := journal.Open(os.Getenv("JOURNAL_PATH"), journal.Options{Run: runA})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				got, err := db.Append(context.Background(),
					messaging.NewEvent(runA, coder, 1, time.Now(), messaging.Warning{Text: fmt.Sprint(w, i)}))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					return
				}
				mu.Lock()
				fmt.Printf("%d\n", got[0].Seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return 1
}

func TestCrashKeepsAcknowledged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cadre.db")
	cmd := helper(t, "crash", path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []uint64
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		n, err := strconv.ParseUint(sc.Text(), 10, 64)
		if err != nil {
			t.Fatalf("helper printed %q", sc.Text())
		}
		acked = append(acked, n)
		if len(acked) == 300 {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Lines already in the pipe when the kill landed were acknowledged too.
	err = cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("helper stopped after %d acknowledgements: %v", len(acked), err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper was not killed: %v", err)
	}

	db, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	present := map[uint64]bool{}
	var n uint64
	err = db.Events(runA, 0, func(ev messaging.Event) error {
		n++
		if ev.Seq != n {
			return fmt.Errorf("event %d has seq %d", n, ev.Seq)
		}
		present[ev.Seq] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range acked {
		if !present[s] {
			t.Errorf("acknowledged seq %d lost", s)
		}
	}
	t.Logf("%d acknowledged before the kill, %d recorded", len(acked), n)
}
