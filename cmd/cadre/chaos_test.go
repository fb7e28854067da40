package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cadre-dev/cadre/examples/demo"
	"github.com/cadre-dev/cadre/messaging"
)

// TestChaosKillAndResume runs the demo team, SIGKILLs the cadre process at
// points chosen at random (seeded), resumes, and repeats until the run ends.
// The result must equal an uninterrupted run's, no acknowledged event may be
// missing, no message may be delivered twice, and the repository must be
// sound. CADRE_CHAOS_KILLS sets how many kills (make chaos uses 20+).
func TestChaosKillAndResume(t *testing.T) {
	kills := 3
	if v := os.Getenv("CADRE_CHAOS_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		kills = n
	}
	seed := uint64(1)
	if v := os.Getenv("CADRE_CHAOS_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, 7))

	// The reference: the same team, uninterrupted.
	refRepo := sampleRepo(t)
	_, refURL := startScripted(t, demo.Script(), nil)
	if _, stderr, code := runCadre(t, t.TempDir(), "exec", "--repo", refRepo, "--base-url", refURL, "--model", "m", demo.Task); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, stderr)
	}
	refTree := strings.TrimSpace(git(t, refRepo, "rev-parse", resultBranch(t, refRepo)+"^{tree}"))

	repo := sampleRepo(t)
	_, url := startScripted(t, demo.Script(), nil)
	state := t.TempDir()
	acked := map[uint64]messaging.EventType{}
	run := ""
	finished := false
	for round := 0; !finished; round++ {
		args := []string{"exec", "--repo", repo, "--base-url", url, "--model", "m", demo.Task}
		if run != "" {
			args = []string{"resume", "--json", "--base-url", url, "--model", "m", run}
		}
		c := startCadre(t, state, args...)
		killAfter := -1 // events before the kill; -1: let it finish
		if round < kills {
			killAfter = 1 + rng.IntN(25)
		}
		seen := 0
		for c.stdout.Scan() {
			var ev messaging.Event
			if err := json.Unmarshal(c.stdout.Bytes(), &ev); err != nil {
				t.Fatalf("round %d: bad line %q", round, c.stdout.Text())
			}
			run = ev.Run
			acked[ev.Seq] = ev.Type
			seen++
			if ev.Type == messaging.EvRunFinished {
				finished = true
			}
			if seen == killAfter && !finished {
				_ = c.cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		for c.stdout.Scan() { // drain what was written before the kill
			var ev messaging.Event
			if json.Unmarshal(c.stdout.Bytes(), &ev) == nil {
				acked[ev.Seq] = ev.Type
				finished = finished || ev.Type == messaging.EvRunFinished
			}
		}
		err := c.cmd.Wait()
		t.Logf("round %d: %d events, kill after %d, exit %v", round, seen, killAfter, err)
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() >= 0 {
			// Not the kill: the run itself failed.
			t.Fatalf("round %d: %v\n%s", round, err, c.stderr)
		}
		if killAfter < 0 && err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, c.stderr)
		}
		if round > kills+3 {
			t.Fatalf("run did not finish after %d rounds", round)
		}
	}

	// The result is the uninterrupted run's, and the repository is sound.
	tree := strings.TrimSpace(git(t, repo, "rev-parse", resultBranch(t, repo)+"^{tree}"))
	if tree != refTree {
		t.Errorf("result tree %s differs from the uninterrupted run's %s:\n%s", tree, refTree,
			git(t, repo, "diff", resultBranch(t, refRepo), resultBranch(t, repo)))
	}
	git(t, repo, "fsck", "--strict", "--no-dangling")
	if list := git(t, repo, "worktree", "list", "--porcelain"); strings.Count(list, "worktree ") != 1 {
		t.Errorf("worktrees left behind:\n%s", list)
	}

	// Every acknowledged event is in the journal, and every message was
	// taken into a conversation at most once.
	out, stderr, code := runCadre(t, state, "logs", "--json", run)
	if code != 0 {
		t.Fatalf("logs: %d %s", code, stderr)
	}
	journal := map[uint64]messaging.EventType{}
	delivered := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev messaging.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		journal[ev.Seq] = ev.Type
		if ev.Type == messaging.EvMessageDelivered {
			var d messaging.MessageDelivered
			_ = ev.Decode(&d)
			delivered[d.Envelope.ID]++
		}
	}
	for seq, typ := range acked {
		if journal[seq] != typ {
			t.Errorf("acknowledged event %d (%s) is %q in the journal", seq, typ, journal[seq])
		}
	}
	for id, n := range delivered {
		if n > 1 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}
	if len(acked) == 0 || len(journal) < len(acked) {
		t.Fatalf("acked %d, journal %d", len(acked), len(journal))
	}
	// cadre clean leaves no worktree and no agent branch; the result stays.
	if _, stderr, code := runCadre(t, state, "clean"); code != 0 {
		t.Fatalf("clean: %d %s", code, stderr)
	}
	if list := git(t, repo, "worktree", "list", "--porcelain"); strings.Count(list, "worktree ") != 1 {
		t.Errorf("worktrees left after clean:\n%s", list)
	}
	if b := git(t, repo, "branch", "--list", "cadre/*"); strings.TrimSpace(b) != resultBranch(t, repo) {
		t.Errorf("branches after clean:\n%s", b)
	}
	git(t, repo, "fsck", "--strict", "--no-dangling")
	fmt.Fprintf(os.Stderr, "chaos: %d kills, %d events, result tree %s\n", kills, len(journal), tree[:12])
}

func resultBranch(t *testing.T, repo string) string {
	t.Helper()
	out := strings.Fields(git(t, repo, "branch", "--list", "--format=%(refname:short)", "cadre/*/result"))
	if len(out) != 1 {
		t.Fatalf("result branches: %v", out)
	}
	return out[0]
}
