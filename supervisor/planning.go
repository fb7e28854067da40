package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor/plan"
)

// ErrNoPlan is returned for a subtask when no plan was submitted.
var ErrNoPlan = errors.New("no plan was submitted")

// ErrBlocked is wrapped when a subtask cannot start yet.
var ErrBlocked = errors.New("subtask cannot start yet")

// submitPlan validates a plan (or a revision of the current one), journals
// it and returns the schedule as the planner will read it.
func (r *Run) submitPlan(ctx context.Context, from *agentState, raw json.RawMessage) (string, error) {
	var p plan.Plan
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", fmt.Errorf("%w: %v", plan.ErrInvalid, err)
	}
	r.mu.Lock()
	sched := r.schedule
	var err error
	if sched == nil {
		p.Revision = 1
		sched, err = plan.NewSchedule(p)
	} else {
		err = sched.Revise(p)
	}
	if err != nil {
		r.mu.Unlock()
		return "", err
	}
	r.schedule = sched
	accepted := sched.Plan()
	text := sched.String()
	ready := sched.Ready(r.maxCoders())
	r.mu.Unlock()
	enc, err := json.Marshal(accepted)
	if err != nil {
		return "", err
	}
	if _, err := r.record(ctx, from.addr, from.gen, messaging.PlanSubmitted{Revision: accepted.Revision, Plan: enc}); err != nil {
		return "", err
	}
	next := "none (wait for running subtasks to be merged)"
	if len(ready) > 0 {
		next = strings.Join(ready, ", ")
	}
	return fmt.Sprintf("plan revision %d accepted.\n%s\nready to start now (spawn_agent with subtask): %s", accepted.Revision, text, next), nil
}

// maxCoders is how many subtasks may run at once.
func (r *Run) maxCoders() int { return r.Spec.MaxWorking }

// startSubtask checks that subtask id may start now and marks it running;
// it returns its lease and the commit its worktree starts from (the result
// branch, which holds its dependencies' merged work). r.mu held.
func (r *Run) startSubtask(id string) (lease []string, err error) {
	if r.schedule == nil {
		return nil, fmt.Errorf("subtask %q: %w; call submit_plan first", id, ErrNoPlan)
	}
	s := r.schedule
	st, ok := s.State(id)
	if !ok {
		return nil, fmt.Errorf("subtask %q is not in the plan (subtasks: %s)", id, strings.Join(planIDs(s.Plan()), ", "))
	}
	if st != plan.Pending && st != plan.Ready {
		return nil, fmt.Errorf("%w: subtask %q is %s", ErrBlocked, id, st)
	}
	if waits := s.Blocked()[id]; len(waits) > 0 {
		return nil, fmt.Errorf("%w: subtask %q waits for %s to be merged into the result branch", ErrBlocked, id, strings.Join(waits, ", "))
	}
	if !containsID(s.Ready(r.maxCoders()), id) {
		return nil, fmt.Errorf("%w: subtask %q: %d subtasks already run, the limit", ErrBlocked, id, r.maxCoders())
	}
	if err := s.Start(id); err != nil {
		return nil, err
	}
	t, _ := s.Subtask(id)
	return t.Writes, nil
}

func planIDs(p plan.Plan) []string {
	out := make([]string, len(p.Subtasks))
	for i, t := range p.Subtasks {
		out[i] = t.ID
	}
	return out
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// subtaskDone marks the subtask of agent merged (or failed); r.mu held.
func (r *Run) subtaskDone(agent messaging.Address, merged bool) {
	st, ok := r.agents[agent]
	if !ok || st.subtask == "" || r.schedule == nil {
		return
	}
	if state, _ := r.schedule.State(st.subtask); state != plan.Running {
		return
	}
	if merged {
		_ = r.schedule.Merged(st.subtask)
	} else {
		_ = r.schedule.Failed(st.subtask)
	}
}

// leaseAllows reports whether agent may write path (relative to its
// worktree), and says why not.
func (r *Run) leaseAllows(st *agentState, path string) error {
	if len(st.lease) == 0 {
		return nil
	}
	if plan.Match(st.lease, filepath.ToSlash(path)) {
		return nil
	}
	return fmt.Errorf("%s is outside your write lease %q (subtask %q); ask your planner to revise the plan if you must change it", path, st.lease, st.subtask)
}

// outsideLease lists the files of changed that st's lease does not allow.
func (r *Run) outsideLease(st *agentState, changed []string) []string {
	var out []string
	for _, f := range changed {
		if r.leaseAllows(st, f) != nil {
			out = append(out, f)
		}
	}
	return out
}

// leaseDirs are the directories of a lease, inside the worktree: the
// sandbox lets the agent's commands write only there.
func leaseDirs(worktree string, lease []string) []string {
	if len(lease) == 0 {
		return nil
	}
	var out []string
	for _, d := range plan.LeaseDirs(lease) {
		out = append(out, filepath.Join(worktree, filepath.FromSlash(d)))
	}
	return out
}

// foldPlan rebuilds the schedule while a run is resumed; r.mu need not be
// held (the run is not shared yet).
func (r *Run) foldPlan(ev messaging.Event) {
	switch ev.Type {
	case messaging.EvPlanSubmitted:
		var p messaging.PlanSubmitted
		var pl plan.Plan
		if ev.Decode(&p) != nil || json.Unmarshal(p.Plan, &pl) != nil {
			return
		}
		if r.schedule == nil {
			if s, err := plan.NewSchedule(pl); err == nil {
				r.schedule = s
			}
		} else {
			_ = r.schedule.Revise(pl)
		}
	case messaging.EvAgentStarted:
		var p messaging.AgentStarted
		if ev.Decode(&p) == nil && p.Subtask != "" && r.schedule != nil {
			if p.Fresh {
				_ = r.schedule.Retry(p.Subtask)
			}
			_ = r.schedule.Start(p.Subtask)
			if st, ok := r.agents[ev.Agent]; ok {
				st.subtask, st.lease = p.Subtask, p.Lease
			}
		}
	case messaging.EvMerged:
		var p messaging.Merged
		if ev.Decode(&p) == nil {
			r.subtaskDone(p.Agent, true)
		}
	case messaging.EvAgentFailed:
		r.subtaskDone(ev.Agent, false)
	}
}

// ReplayPlan rebuilds a run's plan and its schedule from its events (for
// views such as cadre show); nil when no plan was submitted.
func ReplayPlan(evs []messaging.Event) *plan.Schedule {
	r := &Run{agents: map[messaging.Address]*agentState{}}
	for _, ev := range evs {
		if ev.Type == messaging.EvAgentStarted {
			if _, ok := r.agents[ev.Agent]; !ok {
				r.agents[ev.Agent] = &agentState{addr: ev.Agent}
			}
		}
		r.foldPlan(ev)
	}
	return r.schedule
}
