package supervisor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/worktree"
)

// Run statuses the journal keeps besides the outcomes of run_finished.
const (
	StatusRunning     = "running"
	StatusInterrupted = "interrupted"
)

// ErrFinished is returned when resuming a run that has ended.
var ErrFinished = errors.New("run already finished")

// markInterrupted records every run still "running" in the journal as
// interrupted: this process holds the state lock, so nobody runs them.
func (s *Supervisor) markInterrupted() error {
	runs, err := s.db.Runs()
	if err != nil {
		return err
	}
	for _, r := range runs {
		if r.Status == StatusRunning {
			if err := s.db.SetRunStatus(r.ID, StatusInterrupted); err != nil {
				return err
			}
		}
	}
	return nil
}

// Interrupted lists the interrupted runs of a repository (all when repo is "").
func (s *Supervisor) Interrupted(repo string) ([]messaging.RunSummary, error) {
	runs, err := s.db.Runs()
	if err != nil {
		return nil, err
	}
	var out []messaging.RunSummary
	for _, r := range runs {
		if r.Status == StatusInterrupted && (repo == "" || r.Repo == repo) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Resume continues an interrupted run from its journal: every agent that
// had not failed is started again (generation + 1) with its conversation
// rebuilt from its events, its worktree re-attached (or re-created from its
// branch), and the messages sent to it but not yet taken delivered again.
// spec gives what is not journaled: the model, sandbox and limits to use now.
func (s *Supervisor) Resume(ctx context.Context, id string, spec RunSpec) (*Run, error) {
	// Sized from the last seq: one allocation instead of a growing copy.
	last, err := s.db.LastSeq(id)
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", id, err)
	}
	events := make([]messaging.Event, 0, last)
	if err := s.db.Events(id, 0, func(ev messaging.Event) error {
		events = append(events, ev)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("resume %s: %w", id, err)
	}
	if len(events) == 0 || events[0].Type != messaging.EvRunStarted {
		return nil, fmt.Errorf("resume %s: the journal does not start with run_started", id)
	}
	var started messaging.RunStarted
	if err := events[0].Decode(&started); err != nil {
		return nil, err
	}
	for _, ev := range events {
		if ev.Type == messaging.EvRunFinished {
			var f messaging.RunFinished
			_ = ev.Decode(&f)
			return nil, fmt.Errorf("resume %s: %w (%s)", id, ErrFinished, f.Status)
		}
	}
	repo, err := worktree.Open(ctx, started.Repo)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrBadRepo, started.Repo, err)
	}
	spec.Repo, spec.Task = started.Repo, started.Task
	r, err := s.newRun(id, repo, spec, started.BaseCommit)
	if err != nil {
		return nil, err
	}
	if err := r.fold(events); err != nil {
		return nil, err
	}
	// The agents rebuild from these events instead of reading the journal
	// again, each its own.
	r.preload = map[messaging.Address][]messaging.Event{}
	counts := map[messaging.Address]int{}
	for _, ev := range events {
		counts[ev.Agent]++
	}
	for a, n := range counts {
		if !a.IsZero() {
			r.preload[a] = make([]messaging.Event, 0, n)
		}
	}
	for _, ev := range events {
		if !ev.Agent.IsZero() {
			r.preload[ev.Agent] = append(r.preload[ev.Agent], ev)
		}
	}
	if err := s.db.SetOwnerRun(id); err != nil {
		return nil, err
	}
	if err := s.db.SetRunStatus(id, StatusRunning); err != nil {
		return nil, err
	}
	r.ctx, r.cancelCtx = context.WithCancel(context.Background())
	r.warn(ctx, fmt.Sprintf(resumedPrefix+"%d", os.Getpid()))
	if m := r.openMerge; m != nil {
		r.openMerge = nil
		r.recoverMerge(ctx, *m)
	}
	r.warnSandboxOff(ctx)
	if err := r.startRunActor(ctx); err != nil {
		return nil, err
	}
	// One listing tells which worktrees are still in place.
	present := map[string]string{}
	if infos, err := repo.List(ctx); err == nil {
		for _, in := range infos {
			present[in.Path] = in.Branch
			if in.Detached {
				present[in.Path] = detached
			}
		}
	}
	// Parents before children: a child's actor lives under its parent's.
	agents := r.liveAgents()
	sort.SliceStable(agents, func(i, j int) bool { return agents[i].addr.Depth() < agents[j].addr.Depth() })
	// New generations are journaled in one append (one commit, not one per
	// agent), then the actors start.
	var starts []messaging.Event
	for _, st := range agents {
		// A tester's (or any non-writing agent's) worktree is left at the
		// candidate it last checked out, detached: still in place.
		b, ok := present[st.wt.Path]
		ev, err := r.reattach(ctx, st, ok && (b == st.wt.Branch || (b == detached && !writes(st))))
		if err != nil {
			return nil, r.abort(ctx, err)
		}
		starts = append(starts, ev)
	}
	recorded, err := s.record(ctx, starts...)
	if err != nil {
		return nil, r.abort(ctx, err)
	}
	r.mu.Lock()
	for _, ev := range recorded {
		r.preload[ev.Agent] = append(r.preload[ev.Agent], ev)
	}
	r.mu.Unlock()
	for _, st := range agents {
		parentPID := r.pid
		if p, ok := st.addr.Parent(); ok {
			ps, ok := r.agent(p)
			if !ok || ps.pid == nil {
				return nil, r.abort(ctx, fmt.Errorf("resume %s: parent %s of %s is not running", id, p, st.addr))
			}
			parentPID = ps.pid
		}
		if err := r.startActor(ctx, parentPID, st); err != nil {
			return nil, r.abort(ctx, err)
		}
	}
	go r.finishWhenDone()
	return r, nil
}

// fold rebuilds the supervisor's side of a run from its journal: agents,
// their last snapshots, message counters, undelivered messages, reviews.
func (r *Run) fold(events []messaging.Event) error {
	var last, open time.Time
	defer func() {
		if !open.IsZero() { // the last process was killed
			r.budget.sessions = append(r.budget.sessions, [2]time.Time{open, last})
		}
	}()
	for _, ev := range events {
		r.foldBudget(ev, last, &open)
		last = ev.Time
		switch ev.Type {
		case messaging.EvAgentStarted:
			var p messaging.AgentStarted
			if err := ev.Decode(&p); err != nil {
				return err
			}
			role, err := r.Spec.Roles.Lookup(p.Role)
			if err != nil {
				return fmt.Errorf("resume: agent %s: %w", ev.Agent, err)
			}
			st, ok := r.agents[ev.Agent]
			if !ok {
				st = &agentState{addr: ev.Agent, role: role, parent: p.Parent, task: p.Task, lastSnap: r.Base, started: ev.Time}
				r.agents[ev.Agent] = st
			}
			st.gen = ev.Gen
			st.wt = &worktree.Worktree{Path: p.Worktree, Branch: p.Branch, Base: p.Base}
			if p.Fresh {
				st.freshGen, st.failed, st.task = ev.Gen, false, p.Task
			}
		case messaging.EvAgentFailed:
			if st, ok := r.agents[ev.Agent]; ok {
				st.failed = true
			}
		case messaging.EvSnapshot:
			var p messaging.Snapshot
			if err := ev.Decode(&p); err != nil {
				return err
			}
			if st, ok := r.agents[ev.Agent]; ok {
				st.lastSnap = p.Commit
			}
		case messaging.EvMessageSent:
			var p messaging.MessageSent
			if err := ev.Decode(&p); err != nil {
				return err
			}
			env := p.Envelope
			if env.Seq > r.seq[env.From] {
				r.seq[env.From] = env.Seq
			}
			r.pending[env.To] = append(r.pending[env.To], env)
			r.foldReview(env)
		case messaging.EvMessageDropped:
			var p messaging.MessageDropped
			if err := ev.Decode(&p); err != nil {
				return err
			}
			r.unpend(ev.Agent, p.Envelope.ID)
		case messaging.EvMessageDelivered:
			var p messaging.MessageDelivered
			if err := ev.Decode(&p); err != nil {
				return err
			}
			r.unpend(ev.Agent, p.Envelope.ID)
		}
		r.foldPlan(ev)
		r.foldResolution(ev)
		r.foldMerge(ev)
	}
	return nil
}

// foldMerge keeps the merge whose outcome was not journaled (a kill came
// between its merge_started and its verdict).
func (r *Run) foldMerge(ev messaging.Event) {
	switch ev.Type {
	case messaging.EvMergeStarted:
		var p messaging.MergeStarted
		if ev.Decode(&p) == nil {
			r.openMerge = &p
		}
	case messaging.EvMerged, messaging.EvMergeReverted, messaging.EvMergeFailed:
		r.openMerge = nil
	}
}

// foldReview replays the review bookkeeping of send.
func (r *Run) foldReview(env messaging.Envelope) {
	body, err := env.Decode()
	if err != nil {
		return
	}
	switch b := body.(type) {
	case messaging.ReviewRequest:
		rs := r.reviews[b.Agent]
		rs.requester, rs.commit = env.From, b.Commit
		r.reviews[b.Agent] = rs
	case messaging.Review:
		rs := r.reviews[b.Agent]
		if env.To != rs.requester {
			return // the copy sent back to the author
		}
		if b.Round > rs.rounds {
			rs.rounds = b.Round
		}
		rs.commit = ""
		r.reviews[b.Agent] = rs
	}
}

// reattach gives a resumed agent its worktree back (re-created from its
// branch if the directory is gone) and a new generation, and returns the
// agent_started event to journal.
func (r *Run) reattach(ctx context.Context, st *agentState, inPlace bool) (messaging.Event, error) {
	if !inPlace {
		wt, err := r.Repo.Add(ctx, st.wt.Path, st.wt.Branch, st.lastSnap)
		if err != nil {
			return messaging.Event{}, fmt.Errorf("resume %s: worktree: %w", st.addr, err)
		}
		wt.Base = st.wt.Base // where its work started, for diffs
		st.wt = wt
	}
	st.private = privateDir(r.sup.state, r.ID, st.addr.Slug())
	if err := os.MkdirAll(st.private, 0o700); err != nil {
		return messaging.Event{}, err
	}
	st.gen++
	return messaging.NewEvent(r.ID, st.addr, st.gen, r.sup.now(), messaging.AgentStarted{
		Role: st.role.Name, Parent: st.parent, Task: st.task, Model: r.Spec.Model.Model,
		Worktree: st.wt.Path, Branch: st.wt.Branch, Base: cmp.Or(st.wt.Base, r.Base), Subtask: st.subtask, Lease: st.lease,
	}), nil
}

// detached marks a listed worktree on a detached HEAD.
const detached = "(detached)"
