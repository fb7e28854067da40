package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
	"github.com/cadre-dev/cadre/supervisor/journal"
	"github.com/cadre-dev/cadre/worktree"
)

// sandboxResult is row 3.
type sandboxResult struct {
	N                    int
	Bare, Reexec, Server time.Duration
}

func measureSandbox(cfg config) (sandboxResult, error) {
	res := sandboxResult{N: cfg.sandboxN}
	var err error
	res.Bare, res.Reexec, res.Server, err = sandbox.MeasureTrue(cfg.sandboxN)
	return res, err
}

func (r sandboxResult) rows() []row {
	if r.Bare == 0 {
		return nil
	}
	return []row{
		{measure: "3 sandbox per command (exec server)", figure: ms(r.Server), reference: ms(r.Bare) + " bare exec",
			ratio: diff(r.Server, r.Bare), target: check(r.Server-r.Bare <= 2*time.Millisecond, "<= +2 ms"),
			method: fmt.Sprintf("sandbox.MeasureTrue(%d): [true] through the per-agent exec server vs exec.Command", r.N)},
		{measure: "  sandbox per command (re-exec)", figure: ms(r.Reexec), reference: ms(r.Bare) + " bare exec",
			ratio:  diff(r.Reexec, r.Bare),
			method: "same, through a fresh re-exec of the helper per command"},
	}
}

// appendResult is row 4.
type appendResult struct {
	Writers                int
	GroupEvents, EachEvent int
	Group, Each            float64 // events/s
}

func measureAppend(cfg config) (appendResult, error) {
	res := appendResult{Writers: cfg.appendWriters, GroupEvents: cfg.groupEvents, EachEvent: cfg.eachEvents}
	dir, err := os.MkdirTemp("", "cadre-bench-journal-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	if res.Group, err = journal.MeasureAppend(dir, cfg.groupEvents, cfg.appendWriters, true); err != nil {
		return res, err
	}
	res.Each, err = journal.MeasureAppend(dir, cfg.eachEvents, cfg.appendWriters, false)
	return res, err
}

func (r appendResult) rows() []row {
	if r.Group == 0 {
		return nil
	}
	return []row{{measure: "4 journal appends (group commit)", figure: fmt.Sprintf("%.0f ev/s", r.Group),
		reference: fmt.Sprintf("%.0f ev/s fsync/event", r.Each), ratio: ratio(r.Group, r.Each),
		target: check(r.Group >= 10000, ">= 10000 ev/s"),
		method: fmt.Sprintf("journal.MeasureAppend, %d writers, %d events (ref %d events, 1 tx each)", r.Writers, r.GroupEvents, r.EachEvent)}}
}

// replayResult is row 5.
type replayResult struct {
	Agents, PerAgent int
	AgentScan        time.Duration // every agent's events through AgentEvents
	FullScan         time.Duration // one Events scan
}

func measureReplay(cfg config) (replayResult, error) {
	res := replayResult{Agents: cfg.replayAgents, PerAgent: cfg.replayPerAgent}
	dir, err := os.MkdirTemp("", "cadre-bench-replay-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	db, err := journal.Open(filepath.Join(dir, "cadre.db"), journal.Options{})
	if err != nil {
		return res, err
	}
	defer db.Close()
	ctx := context.Background()
	run := messaging.NewRunID(time.Now())
	if _, err := db.Append(ctx, messaging.NewEvent(run, messaging.Address{}, 0, time.Now(), messaging.RunStarted{
		Task: "bench", Repo: dir, BaseCommit: strings.Repeat("0", 40), ResultBranch: "cadre/" + run + "/result", Version: messaging.Version,
	})); err != nil {
		return res, fmt.Errorf("append run_started: %w", err)
	}
	addrs := make([]messaging.Address, cfg.replayAgents)
	for i := range addrs {
		addrs[i] = messaging.MustParseAddress(fmt.Sprintf("/root/a%d", i))
	}
	output := strings.Repeat("ok  \texample.com/x\t0.01s\n", 8)
	const batch = 1000
	evs := make([]messaging.Event, 0, batch)
	flush := func() error {
		if len(evs) == 0 {
			return nil
		}
		_, err := db.Append(ctx, evs...)
		evs = evs[:0]
		return err
	}
	// Interleave the agents, as a running team does.
	for i := range cfg.replayPerAgent {
		for a, addr := range addrs {
			evs = append(evs, messaging.NewEvent(run, addr, 1, time.Now(), messaging.ToolResult{
				CallID: fmt.Sprintf("call_%d_%d", a, i), Name: "shell", Output: output, DurationMS: 12,
			}))
			if len(evs) == batch {
				if err := flush(); err != nil {
					return res, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}

	want := cfg.replayAgents * cfg.replayPerAgent
	got := 0
	t0 := time.Now()
	for _, addr := range addrs {
		if err := db.AgentEvents(run, addr, 0, func(messaging.Event) error { got++; return nil }); err != nil {
			return res, err
		}
	}
	res.AgentScan = time.Since(t0)
	if got != want {
		return res, fmt.Errorf("AgentEvents gave %d events, want %d", got, want)
	}
	got = 0
	t0 = time.Now()
	if err := db.Events(run, 0, func(messaging.Event) error { got++; return nil }); err != nil {
		return res, err
	}
	res.FullScan = time.Since(t0)
	if got != want+1 {
		return res, fmt.Errorf("Events gave %d events, want %d", got, want+1)
	}
	return res, nil
}

func (r replayResult) rows() []row {
	if r.AgentScan == 0 {
		return nil
	}
	return []row{{measure: fmt.Sprintf("5 journal replay %d agents x %d", r.Agents, r.PerAgent), figure: ms(r.AgentScan),
		reference: ms(r.FullScan) + " full scan", ratio: ratio(float64(r.AgentScan), float64(r.FullScan)),
		target: check(r.AgentScan <= 300*time.Millisecond, "<= 300 ms"),
		method: "AgentEvents(run, addr, 0) for every agent, decoded; ref one Events(run, 0) scan"}}
}

// worktreeResult is row 7.
type worktreeResult struct {
	N        int
	Add, CLI time.Duration
}

func measureWorktree(cfg config) (worktreeResult, error) {
	res := worktreeResult{N: cfg.worktreeReps}
	dir, cleanup, err := newRepo()
	if err != nil {
		return res, err
	}
	defer cleanup()
	wts, err := os.MkdirTemp("", "cadre-bench-wt-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(wts)
	ctx := context.Background()
	repo, err := worktree.Open(ctx, dir)
	if err != nil {
		return res, err
	}
	head, err := repo.ResolveCommit(ctx, "HEAD")
	if err != nil {
		return res, err
	}
	var adds, clis []time.Duration
	// Alternate the two so that both see the same number of worktrees.
	for i := range cfg.worktreeReps {
		t0 := time.Now()
		if _, err := repo.Add(ctx, filepath.Join(wts, fmt.Sprintf("add%d", i)), fmt.Sprintf("bench/add-%d", i), head); err != nil {
			return res, err
		}
		adds = append(adds, time.Since(t0))
		t0 = time.Now()
		if err := git(dir, "worktree", "add", "-q", "-b", fmt.Sprintf("bench/cli-%d", i), filepath.Join(wts, fmt.Sprintf("cli%d", i)), head); err != nil {
			return res, err
		}
		clis = append(clis, time.Since(t0))
	}
	res.Add, res.CLI = medianOf(adds), medianOf(clis)
	return res, nil
}

func (r worktreeResult) rows() []row {
	if r.Add == 0 {
		return nil
	}
	return []row{{measure: "7 worktree add", figure: ms(r.Add), reference: ms(r.CLI) + " git worktree add",
		ratio:  ratio(float64(r.Add), float64(r.CLI)),
		method: fmt.Sprintf("worktree.Repo.Add(dir, new branch, HEAD) vs git CLI -b, alternated, median of %d", r.N)}}
}
