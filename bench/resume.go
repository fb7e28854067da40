package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor"
)

// resumeResult is row 8.
type resumeResult struct {
	Agents, PerAgent int
	Resume, Scan     time.Duration
}

// waitingModel counts the agents that asked for a turn and blocks them.
type waitingModel struct {
	mu    sync.Mutex
	seen  map[string]bool
	want  int
	ready chan struct{}
}

func (m *waitingModel) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	m.mu.Lock()
	if !m.seen[req.Agent] {
		m.seen[req.Agent] = true
		if len(m.seen) == m.want {
			close(m.ready)
		}
	}
	m.mu.Unlock()
	<-ctx.Done()
	return model.Turn{}, ctx.Err()
}

// measureResume journals a crashed run of N agents × M events (worktrees
// still in place, as after a kill), then times Supervisor.Resume until every
// agent has rebuilt its conversation and asked its model for the next turn.
// Reference: one scan of the same journal.
func measureResume(cfg config) (resumeResult, error) {
	res := resumeResult{Agents: cfg.replayAgents, PerAgent: cfg.replayPerAgent}
	repo, cleanup, err := newRepo()
	if err != nil {
		return res, err
	}
	defer cleanup()
	head, err := exec.Command("git", "-C", repo, "rev-parse", "HEAD").Output()
	if err != nil {
		return res, err
	}
	base := strings.TrimSpace(string(head))
	state, err := os.MkdirTemp("", "cadre-bench-resume-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(state)
	sup, err := supervisor.Open(state, supervisor.Options{})
	if err != nil {
		return res, err
	}
	defer sup.Close()
	ctx := context.Background()
	run := messaging.NewRunID(time.Now())
	now := time.Now()
	ev := func(a messaging.Address, p messaging.Payload) messaging.Event {
		return messaging.NewEvent(run, a, 1, now, p)
	}
	evs := []messaging.Event{ev(messaging.Address{}, messaging.RunStarted{Task: "bench", Repo: repo, BaseCommit: base,
		ResultBranch: "cadre/" + run + "/result", Version: messaging.Version})}
	addrs := []messaging.Address{messaging.Root}
	for i := 1; i < cfg.replayAgents; i++ {
		addrs = append(addrs, messaging.MustParseAddress(fmt.Sprintf("/root/a%d", i)))
	}
	for _, a := range addrs {
		role, parent := "reviewer", messaging.Root
		if a.IsRoot() {
			role, parent = "planner", messaging.Address{}
		}
		branch := "cadre/" + run + "/" + a.Slug()
		dir := filepath.Join(state, "runs", run, "wt", a.Slug())
		if out, err := exec.Command("git", "-C", repo, "worktree", "add", "-q", "-b", branch, dir, base).CombinedOutput(); err != nil {
			return res, fmt.Errorf("worktree add: %v: %s", err, out)
		}
		evs = append(evs, ev(a, messaging.AgentStarted{Role: role, Parent: parent, Task: "review", Worktree: dir, Branch: branch, Base: base}))
	}
	// Each agent's history: turns of a read_file call and its result, then
	// a message that woke it, so that it asks for a turn once rebuilt.
	out := strings.Repeat("   1  package main\n", 8)
	for i := 0; i < (cfg.replayPerAgent-2)/2; i++ {
		for _, a := range addrs {
			id := fmt.Sprintf("c%d", i)
			evs = append(evs,
				ev(a, messaging.ModelTurn{Turn: i, ToolCalls: []messaging.ToolCall{{ID: id, Name: "read_file", Arguments: `{"path":"main.go"}`}}}),
				ev(a, messaging.ToolResult{CallID: id, Name: "read_file", Output: out}))
		}
	}
	for i, a := range addrs {
		env, _ := messaging.NewEnvelope(run, messaging.Root, a, 1, uint64(i+1), now, messaging.Ask{Question: "anything else?"})
		evs = append(evs, ev(messaging.Root, messaging.MessageSent{Envelope: env}), ev(a, messaging.MessageDelivered{Envelope: env, Via: messaging.ViaWake}))
	}
	for len(evs) > 0 {
		n := min(1000, len(evs))
		if _, err := sup.Journal().Append(ctx, evs[:n]...); err != nil {
			return res, err
		}
		evs = evs[n:]
	}

	t0 := time.Now()
	if err := sup.Journal().Events(run, 0, func(messaging.Event) error { return nil }); err != nil {
		return res, err
	}
	res.Scan = time.Since(t0)

	m := &waitingModel{seen: map[string]bool{}, want: len(addrs), ready: make(chan struct{})}
	t0 = time.Now()
	r, err := sup.Resume(ctx, run, supervisor.RunSpec{Model: model.Config{Model: "m"},
		NewModel: func(model.Config) (model.Client, error) { return m, nil }, MaxAgents: len(addrs) + 1, MaxWorking: len(addrs), MaxTurns: 100 * cfg.replayPerAgent})
	if err != nil {
		return res, err
	}
	select {
	case <-m.ready:
		res.Resume = time.Since(t0)
	case <-r.Done():
		out := r.Wait()
		return res, fmt.Errorf("the resumed run ended before every agent asked for a turn (%d of %d): %s %v", len(m.seen), len(addrs), out.Status, out.Err)
	case <-time.After(2 * time.Minute):
		r.Suspend()
		return res, fmt.Errorf("only %d of %d agents asked for a turn", len(m.seen), len(addrs))
	}
	r.Suspend()
	return res, nil
}

func (r resumeResult) rows() []row {
	if r.Resume == 0 {
		return nil
	}
	return []row{{measure: fmt.Sprintf("8 resume %d agents x %d events", r.Agents, r.PerAgent), figure: ms(r.Resume),
		reference: ms(r.Scan) + " journal scan", ratio: ratio(float64(r.Resume), float64(r.Scan)),
		target: check(r.Resume <= 300*time.Millisecond, "<= 300 ms"),
		method: "Supervisor.Resume of a killed run (worktrees in place) until every agent rebuilt its conversation and asked for a turn; ref one Events scan"}}
}
