package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/actors/model/scripted"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
	"github.com/cadre-dev/cadre/supervisor"
	"github.com/cadre-dev/cadre/supervisor/journal"
	"github.com/cadre-dev/cadre/worktree"
)

// runTimeout bounds one orchestrated run.
const runTimeout = 2 * time.Minute

// leadScript is a script whose /root calls shell ["true"] turns times, then
// reports done.
func leadScript(turns int) (*scripted.Script, error) {
	shell := scripted.Turn{ToolCalls: []scripted.ToolCall{{Name: "shell", Arguments: json.RawMessage(`{"command":["true"]}`)}}}
	report := scripted.Turn{ToolCalls: []scripted.ToolCall{{Name: "report", Arguments: json.RawMessage(`{"status":"done","summary":"ok"}`)}}}
	ts := make([]scripted.Turn, 0, turns+1)
	for range turns {
		ts = append(ts, shell)
	}
	ts = append(ts, report)
	raw, err := json.Marshal(scripted.Script{Agents: map[string][]scripted.Turn{"/root": ts}})
	if err != nil {
		return nil, err
	}
	return scripted.ParseScript(raw)
}

// scriptedRun is one run of the supervisor against a scripted server.
type scriptedRun struct {
	started time.Time         // just before Supervisor.Start
	log     []scripted.Served // the server's requests
	outcome supervisor.Outcome
	// events is how many journal events of the run carry a time between
	// the first and the last model request's start.
	events int
}

// runScripted runs a task with the lead role coder on repo, in a fresh
// state directory, with /root playing turns shell calls, and waits for it.
func runScripted(repo string, turns int) (scriptedRun, error) {
	var res scriptedRun
	script, err := leadScript(turns)
	if err != nil {
		return res, err
	}
	srv := scripted.NewServer(script)
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return res, err
	}
	defer srv.Close()
	state, err := os.MkdirTemp("", "cadre-bench-state-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(state)
	sup, err := supervisor.Open(state, supervisor.Options{})
	if err != nil {
		return res, err
	}
	defer sup.Close()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	res.started = time.Now()
	r, err := sup.Start(ctx, supervisor.RunSpec{
		Repo: repo, Task: "bench", RootRole: "coder",
		Model:    model.Config{BaseURL: url, Model: scripted.ModelID, WireAPI: model.WireChat},
		MaxTurns: turns + 60, Interactive: false,
	})
	if err != nil {
		return res, fmt.Errorf("start run: %w", err)
	}
	select {
	case <-r.Done():
	case <-ctx.Done():
		r.Cancel()
		<-r.Done()
		return res, fmt.Errorf("run did not finish within %s", runTimeout)
	}
	res.outcome = r.Wait()
	res.log = srv.Log()
	if len(res.log) > 0 {
		first, last := res.log[0].Start, res.log[0].Start
		for _, s := range res.log {
			first, last = minTime(first, s.Start), maxTime(last, s.Start)
		}
		err := sup.Journal().Events(r.ID, 0, func(ev messaging.Event) error {
			if !ev.Time.Before(first) && !ev.Time.After(last) {
				res.events++
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("read the run's journal: %w", err)
		}
	}
	if res.outcome.Status != messaging.StatusSucceeded {
		return res, fmt.Errorf("run ended %s: %s %v", res.outcome.Status, res.outcome.Summary, res.outcome.Err)
	}
	for _, s := range res.log {
		if s.Status != 200 {
			return res, fmt.Errorf("model request of %s turn %d got %d: %s", s.Agent, s.Turn, s.Status, s.Error)
		}
	}
	if len(res.log) != turns+1 {
		return res, fmt.Errorf("want %d model requests, the server logged %d", turns+1, len(res.log))
	}
	return res, nil
}

// orchResult is row 1.
type orchResult struct {
	Turns   int
	PerTurn time.Duration // orchestrated run, per model turn
	Model   time.Duration // (a) bare model round trip of a tool-call turn
	Sandbox time.Duration // (b) sandboxed exec of true
	Bare    time.Duration // (c) plain exec of true

	// What the overhead is made of, measured on their own: the snapshot
	// the supervisor takes after every shell turn, the journal events
	// per turn and the latency of one lone journal append.
	Snapshot      time.Duration
	EventsPerTurn float64
	Append        time.Duration
}

// Overhead is what the supervisor adds to a turn besides the model and the
// command.
func (r orchResult) Overhead() time.Duration { return r.PerTurn - r.Model - r.Sandbox }

func measureOrchestration(cfg config) (orchResult, error) {
	res := orchResult{Turns: cfg.turns}
	repo, cleanup, err := newRepo()
	if err != nil {
		return res, err
	}
	defer cleanup()
	run, err := runScripted(repo, cfg.turns)
	if err != nil {
		return res, err
	}
	starts := make([]time.Time, len(run.log))
	for i, s := range run.log {
		starts[i] = s.Start
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	res.PerTurn = starts[len(starts)-1].Sub(starts[0]) / time.Duration(cfg.turns)
	res.EventsPerTurn = float64(run.events) / float64(cfg.turns)

	if res.Model, err = medianModelTurn(cfg.refReps); err != nil {
		return res, fmt.Errorf("model reference: %w", err)
	}
	if res.Sandbox, err = medianSandboxTrue(cfg.refReps); err != nil {
		return res, fmt.Errorf("sandbox reference: %w", err)
	}
	res.Bare, err = median(cfg.refReps, func() error { return exec.Command("true").Run() })
	if err != nil {
		return res, fmt.Errorf("bare exec reference: %w", err)
	}
	if res.Snapshot, err = medianSnapshot(repo, cfg.refReps); err != nil {
		return res, fmt.Errorf("snapshot reference: %w", err)
	}
	if res.Append, err = medianAppend(cfg.refReps); err != nil {
		return res, fmt.Errorf("journal append reference: %w", err)
	}
	return res, nil
}

// medianSnapshot times worktree.Repo.Snapshot of an unchanged linked
// worktree, what the supervisor does after each shell turn of a writer.
func medianSnapshot(dir string, n int) (time.Duration, error) {
	ctx := context.Background()
	repo, err := worktree.Open(ctx, dir)
	if err != nil {
		return 0, err
	}
	wts, err := os.MkdirTemp("", "cadre-bench-wt-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(wts)
	wt, err := repo.Add(ctx, filepath.Join(wts, "snap"), "bench/snapshot", "HEAD")
	if err != nil {
		return 0, err
	}
	author := worktree.Author{Name: "/root", Email: "root@cadre.local"}
	return median(n, func() error {
		_, changed, err := repo.Snapshot(ctx, wt, author, "bench")
		if err == nil && changed {
			err = errors.New("snapshot of an unchanged worktree made a commit")
		}
		return err
	})
}

// medianAppend times one Append of one event by a lone writer (one
// transaction, one fsync), in the temp directory the run's state used.
func medianAppend(n int) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "cadre-bench-append-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	db, err := journal.Open(filepath.Join(dir, "cadre.db"), journal.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	ctx := context.Background()
	run := messaging.NewRunID(time.Now())
	i := 0
	return median(n, func() error {
		i++
		_, err := db.Append(ctx, messaging.NewEvent(run, messaging.Root, 1, time.Now(),
			messaging.ToolResult{CallID: fmt.Sprintf("call_%d", i), Name: "shell", DurationMS: 1}))
		return err
	})
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (r orchResult) rows() []row {
	if r.PerTurn == 0 {
		return nil
	}
	ov := r.Overhead()
	sum := r.Model + r.Sandbox
	return []row{
		{measure: "1 orchestration per model turn", figure: ms(r.PerTurn), reference: ms(sum) + " (a)+(b)",
			ratio: fmt.Sprintf("overhead %s", diff(r.PerTurn, sum)), target: check(ov <= sum, "overhead <= (a)+(b)"),
			method: fmt.Sprintf("supervisor run, /root does %d shell [true] turns at 0 model latency; (last-first request start)/%d", r.Turns, r.Turns)},
		{measure: "  (a) model round trip", figure: ms(r.Model),
			method: "model.Client.Turn of one tool-call turn, scripted server, chat+SSE over HTTP"},
		{measure: "  (b) sandboxed exec of true", figure: ms(r.Sandbox), reference: ms(r.Bare) + " (c) bare exec",
			ratio:  diff(r.Sandbox, r.Bare),
			method: "sandbox.New(AgentPolicy).Run([true]) vs exec.Command(true).Run()"},
		{measure: "  in overhead: snapshot", figure: ms(r.Snapshot), reference: ms(ov) + " overhead",
			ratio:  fmt.Sprintf("%.0f %% of overhead", 100*float64(r.Snapshot)/float64(ov)),
			method: "worktree.Repo.Snapshot of an unchanged worktree (the supervisor runs it after every shell turn of a writer role)"},
		{measure: "  in overhead: journal", figure: fmt.Sprintf("%.1f events/turn", r.EventsPerTurn), reference: ms(r.Append) + " per lone append",
			method: "run's journal events timed between first and last request; one Append (1 tx, fsync) by a lone writer"},
	}
}

// medianModelTurn times n bare tool-call turns through the model client
// against a scripted server.
func medianModelTurn(n int) (time.Duration, error) {
	script, err := leadScript(n)
	if err != nil {
		return 0, err
	}
	srv := scripted.NewServer(script)
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer srv.Close()
	client, err := model.New(model.Config{BaseURL: url, Model: scripted.ModelID, WireAPI: model.WireChat})
	if err != nil {
		return 0, err
	}
	ctx := context.Background()
	req := model.Request{Agent: "/root", Role: "coder", Instructions: "address: /root\nrole: coder",
		Input: []model.Item{{Role: model.RoleUser, Text: "go"}}}
	turn := func() error {
		t, err := client.Turn(ctx, req)
		if err == nil && len(t.ToolCalls) != 1 {
			err = fmt.Errorf("want one tool call, got %d", len(t.ToolCalls))
		}
		return err
	}
	if err := turn(); err != nil { // warm the connection, as a run's agent has it
		return 0, err
	}
	return median(n, turn)
}

// medianSandboxTrue times n runs of true through an agent's default runner.
func medianSandboxTrue(n int) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "cadre-bench-sb-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return 0, err
	}
	r, err := sandbox.New(sandbox.AgentPolicy(work, filepath.Join(dir, "priv")))
	if err != nil {
		return 0, err
	}
	defer r.Close()
	ctx := context.Background()
	one := func() error {
		res, err := r.Run(ctx, sandbox.Command{Argv: []string{"true"}})
		if err == nil && res.ExitCode != 0 {
			err = fmt.Errorf("true exited %d: %s", res.ExitCode, res.Output)
		}
		return err
	}
	if err := one(); err != nil { // the first command starts the exec server
		return 0, err
	}
	return median(n, one)
}

// startResult is row 2.
type startResult struct {
	Runs        int
	Start       time.Duration // Supervisor.Start to the first model request
	WorktreeAdd time.Duration // git worktree add -b
}

func measureStart(cfg config) (startResult, error) {
	res := startResult{Runs: cfg.starts}
	repo, cleanup, err := newRepo()
	if err != nil {
		return res, err
	}
	defer cleanup()
	wts, err := os.MkdirTemp("", "cadre-bench-wt-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(wts)
	var starts, adds []time.Duration
	for i := range cfg.starts {
		run, err := runScripted(repo, 0)
		if err != nil {
			return res, err
		}
		first := run.log[0].Start
		for _, s := range run.log {
			if s.Start.Before(first) {
				first = s.Start
			}
		}
		starts = append(starts, first.Sub(run.started))
		t0 := time.Now()
		if err := git(repo, "worktree", "add", "-q", "-b", fmt.Sprintf("bench/start-%d", i), filepath.Join(wts, fmt.Sprint(i)), "HEAD"); err != nil {
			return res, err
		}
		adds = append(adds, time.Since(t0))
	}
	res.Start, res.WorktreeAdd = medianOf(starts), medianOf(adds)
	return res, nil
}

func (r startResult) rows() []row {
	if r.Start == 0 {
		return nil
	}
	return []row{{measure: "2 start to first model request", figure: ms(r.Start), reference: ms(r.WorktreeAdd) + " git worktree add",
		ratio:  ratio(float64(r.Start), float64(r.WorktreeAdd)),
		method: fmt.Sprintf("Supervisor.Start call to first logged request start, fresh state dir, median of %d; ref git CLI -b, same repo", r.Runs)}}
}

// median runs f n times and returns the median duration.
func median(n int, f func() error) (time.Duration, error) {
	if n < 1 {
		n = 1
	}
	ds := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t0))
	}
	return medianOf(ds), nil
}

func medianOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// gitEnv pins the identity of commits made by the bench.
var gitEnv = []string{
	"GIT_AUTHOR_NAME=cadre bench", "GIT_AUTHOR_EMAIL=bench@cadre.invalid",
	"GIT_COMMITTER_NAME=cadre bench", "GIT_COMMITTER_EMAIL=bench@cadre.invalid",
	"GIT_CONFIG_NOSYSTEM=1",
}

// git runs the git CLI in dir.
func git(dir string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %v: %w: %s", args, err, out)
	}
	return nil
}

// newRepo creates a tiny Go module in a fresh git repository with one
// commit; cleanup removes it.
func newRepo() (string, func(), error) {
	dir, err := os.MkdirTemp("", "cadre-bench-repo-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	files := map[string]string{
		"go.mod":  "module example.com/bench\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() {}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			cleanup()
			return "", nil, err
		}
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "."},
		{"commit", "-q", "-m", "initial"},
	} {
		if err := git(dir, args...); err != nil {
			cleanup()
			return "", nil, errors.Join(errors.New("create bench repository"), err)
		}
	}
	return dir, cleanup, nil
}
