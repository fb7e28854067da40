package plan

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// State is where a subtask is in its lifecycle.
type State int

// The states of a subtask. Pending and Ready are both "not started": Ready
// when every dependency is merged.
const (
	Pending State = iota
	Ready
	Running
	Merged
	Failed
)

var stateNames = [...]string{"pending", "ready", "running", "merged", "failed"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "state(" + strconv.Itoa(int(s)) + ")"
	}
	return stateNames[s]
}

// ErrState is wrapped by errors for a transition a subtask's state does not
// allow, and for unknown subtasks.
var ErrState = errors.New("illegal subtask transition")

// Schedule tracks the subtasks of a validated plan as their dependencies
// are merged. It is not safe for concurrent use.
type Schedule struct {
	plan  Plan
	state map[string]State // Pending (not started), Running, Merged or Failed
}

// NewSchedule validates p and returns its schedule, every subtask not
// started. The schedule keeps its own copy of p.
func NewSchedule(p Plan) (*Schedule, error) {
	if err := Validate(p); err != nil {
		return nil, err
	}
	s := &Schedule{plan: clonePlan(p), state: map[string]State{}}
	for _, st := range p.Subtasks {
		s.state[st.ID] = Pending
	}
	return s, nil
}

func clonePlan(p Plan) Plan {
	p.Subtasks = slices.Clone(p.Subtasks)
	for i := range p.Subtasks {
		p.Subtasks[i].DependsOn = slices.Clone(p.Subtasks[i].DependsOn)
		p.Subtasks[i].Writes = slices.Clone(p.Subtasks[i].Writes)
	}
	return p
}

// Plan returns a copy of the current plan.
func (s *Schedule) Plan() Plan { return clonePlan(s.plan) }

// Subtask returns the subtask with the given id.
func (s *Schedule) Subtask(id string) (Subtask, bool) {
	for _, st := range s.plan.Subtasks {
		if st.ID == id {
			st.DependsOn = slices.Clone(st.DependsOn)
			st.Writes = slices.Clone(st.Writes)
			return st, true
		}
	}
	return Subtask{}, false
}

// State returns the state of a subtask, false if there is none of that id.
func (s *Schedule) State(id string) (State, bool) {
	st, ok := s.state[id]
	if !ok {
		return 0, false
	}
	if st == Pending && len(s.waitingOn(id)) == 0 {
		return Ready, true
	}
	return st, true
}

// waitingOn lists the dependencies of id that are not merged, in order.
func (s *Schedule) waitingOn(id string) []string {
	var out []string
	st, _ := s.Subtask(id)
	for _, dep := range st.DependsOn {
		if s.state[dep] != Merged {
			out = append(out, dep)
		}
	}
	return out
}

func (s *Schedule) count(want State) int {
	n := 0
	for _, st := range s.plan.Subtasks {
		if got, _ := s.State(st.ID); got == want {
			n++
		}
	}
	return n
}

// Ready returns the subtasks that may start now, in plan order: not
// started, every dependency merged. With maxRunning > 0 the list is cut so
// that the running subtasks and the returned ones are at most maxRunning;
// maxRunning <= 0 means no limit. Ready changes nothing: call Start for
// each subtask actually started.
func (s *Schedule) Ready(maxRunning int) []string {
	room := -1
	if maxRunning > 0 {
		room = maxRunning - s.count(Running)
		if room <= 0 {
			return nil
		}
	}
	var out []string
	for _, st := range s.plan.Subtasks {
		if got, _ := s.State(st.ID); got == Ready {
			out = append(out, st.ID)
			if len(out) == room {
				break
			}
		}
	}
	return out
}

func (s *Schedule) transition(id string, from, to State) error {
	got, ok := s.State(id)
	if !ok {
		return fmt.Errorf("%w: no subtask %q", ErrState, id)
	}
	if got != from {
		why := ""
		if got == Pending {
			why = fmt.Sprintf(" (waiting on %q)", s.waitingOn(id))
		}
		return fmt.Errorf("%w: subtask %q is %s%s, not %s", ErrState, id, got, why, from)
	}
	s.state[id] = to
	return nil
}

// Start marks a ready subtask as running.
func (s *Schedule) Start(id string) error { return s.transition(id, Ready, Running) }

// Merged marks a running subtask as merged, which may make others ready.
func (s *Schedule) Merged(id string) error { return s.transition(id, Running, Merged) }

// Failed marks a running subtask as failed. A failed subtask starts again
// only if a revision keeps it (see Revise).
func (s *Schedule) Failed(id string) error { return s.transition(id, Running, Failed) }

// Retry: failed -> running, when a fresh agent takes a failed subtask over.
func (s *Schedule) Retry(id string) error { return s.transition(id, Failed, Running) }

// Blocked returns the subtasks not started that wait on dependencies, each
// with the dependencies that are not merged yet (in DependsOn order).
func (s *Schedule) Blocked() map[string][]string {
	out := map[string][]string{}
	for _, st := range s.plan.Subtasks {
		if s.state[st.ID] != Pending {
			continue
		}
		if w := s.waitingOn(st.ID); len(w) > 0 {
			out[st.ID] = w
		}
	}
	return out
}

// Done reports whether every subtask is merged.
func (s *Schedule) Done() bool {
	for _, st := range s.state {
		if st != Merged {
			return false
		}
	}
	return true
}

// Stuck reports whether the plan cannot progress without a revision: not
// done, nothing running and nothing ready (some subtask failed, or waits on
// one that failed).
func (s *Schedule) Stuck() bool {
	return !s.Done() && s.count(Running) == 0 && s.count(Ready) == 0
}

// Revise replaces the plan with a revision, which must be valid on its own
// and agree with what already happened:
//
//   - a merged subtask stays, with the same id and the same writes (as a
//     set of globs), and depends only on merged subtasks;
//   - a running subtask stays and keeps running; it keeps every glob of its
//     writes (it may gain some), and depends only on merged subtasks;
//   - a failed subtask that stays is pending again: it will be retried;
//   - a pending subtask that is left out disappears, as does a failed one.
//
// On error (an *InvalidError wrapping ErrInvalid, listing every problem)
// the schedule is unchanged. Revise sets the plan's Revision to one more
// than the current one.
func (s *Schedule) Revise(p Plan) error {
	probs := problems(p)
	byID := map[string]Subtask{}
	for _, st := range p.Subtasks {
		if _, dup := byID[st.ID]; !dup {
			byID[st.ID] = st
		}
	}
	for _, old := range s.plan.Subtasks {
		state := s.state[old.ID]
		if state != Merged && state != Running {
			continue
		}
		nu, ok := byID[old.ID]
		if !ok {
			probs = append(probs, fmt.Sprintf("subtask %q is %s; it must stay in the plan", old.ID, state))
			continue
		}
		if state == Merged && !sameSet(old.Writes, nu.Writes) {
			probs = append(probs, fmt.Sprintf("subtask %q is merged; its writes must stay %q", old.ID, old.Writes))
		}
		if state == Running {
			for _, g := range old.Writes {
				if !slices.Contains(nu.Writes, g) {
					probs = append(probs, fmt.Sprintf("subtask %q is running; its writes must keep %q", old.ID, g))
				}
			}
		}
		for _, dep := range nu.DependsOn {
			if s.state[dep] != Merged && dep != old.ID {
				if _, known := byID[dep]; known {
					probs = append(probs, fmt.Sprintf("subtask %q is %s; it cannot depend on %q, which is not merged", old.ID, state, dep))
				}
			}
		}
	}
	if len(probs) > 0 {
		return &InvalidError{Problems: probs}
	}
	state := map[string]State{}
	for _, st := range p.Subtasks {
		switch old, ok := s.state[st.ID]; {
		case ok && (old == Merged || old == Running):
			state[st.ID] = old
		default:
			state[st.ID] = Pending
		}
	}
	rev := s.plan.Revision + 1
	s.plan = clonePlan(p)
	s.plan.Revision = rev
	s.state = state
	return nil
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}
