package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

// ErrBudget is wrapped by the reason a run stopped because /root's budget
// was spent.
var ErrBudget = errors.New("budget spent")

// spend is what one agent has used so far.
type spend struct {
	usage messaging.Usage
	cost  float64
	turns int
}

func (s spend) add(o spend) spend {
	return spend{usage: s.usage.Add(o.usage), cost: s.cost + o.cost, turns: s.turns + o.turns}
}

// budgets is a run's budget state; Run.mu guards it.
type budgets struct {
	limits    map[messaging.Address]messaging.Budget
	exhausted map[messaging.Address]bool
	// wake is closed (and replaced) whenever a budget is raised, waking
	// the agents that wait for one.
	wake chan struct{}
	// Live time: the closed sessions of earlier processes and the start
	// of this one. Wall-time budgets count only time the run was live.
	sessions     [][2]time.Time
	sessionStart time.Time
}

func newBudgets() budgets {
	return budgets{limits: map[messaging.Address]messaging.Budget{}, exhausted: map[messaging.Address]bool{}, wake: make(chan struct{})}
}

// liveSince is how long the run has been live since t, up to now.
func (b *budgets) liveSince(t, now time.Time) time.Duration {
	var d time.Duration
	for _, s := range b.sessions {
		from := s[0]
		if t.After(from) {
			from = t
		}
		if s[1].After(from) {
			d += s[1].Sub(from)
		}
	}
	from := b.sessionStart
	if t.After(from) {
		from = t
	}
	if now.After(from) {
		d += now.Sub(from)
	}
	return d
}

// subtreeSpend sums the spend of top and every agent under it; r.mu held.
func (r *Run) subtreeSpend(top messaging.Address) (s spend, agents int) {
	for a, st := range r.agents {
		if a.Within(top) {
			s = s.add(st.spent)
			agents++
		}
	}
	return s, agents
}

// overBudget returns the first budgeted address at or above addr whose
// subtree has spent its budget, and what ran out; r.mu held.
func (r *Run) overBudget(addr messaging.Address, now time.Time) (messaging.Address, messaging.Budget, string, bool) {
	for a, more := addr, true; more; a, more = a.Parent() {
		lim, ok := r.budget.limits[a]
		if !ok || lim.IsZero() {
			continue
		}
		s, _ := r.subtreeSpend(a)
		tokens := s.usage.Input + s.usage.Output
		switch {
		case lim.Tokens > 0 && tokens >= lim.Tokens:
			return a, lim, fmt.Sprintf("tokens %d of %d", tokens, lim.Tokens), true
		case lim.CostUSD > 0 && s.cost >= lim.CostUSD:
			return a, lim, fmt.Sprintf("cost $%.4f of $%.2f", s.cost, lim.CostUSD), true
		case lim.Turns > 0 && s.turns >= lim.Turns:
			return a, lim, fmt.Sprintf("turns %d of %d", s.turns, lim.Turns), true
		}
		if lim.WallTime > 0 {
			if st, ok := r.agents[a]; ok && !st.started.IsZero() {
				if live := r.budget.liveSince(st.started, now); live >= lim.WallTime.Duration() {
					return a, lim, fmt.Sprintf("wall time %s of %s", live.Round(time.Second), lim.WallTime.Duration()), true
				}
			}
		}
	}
	return messaging.Address{}, messaging.Budget{}, "", false
}

// waitBudget returns once no budget above st forbids new work: it journals
// a spent budget once, pauses the agent until the budget is raised, and
// suspends the whole run when the budget spent is /root's.
func (r *Run) waitBudget(ctx context.Context, st *agentState) error {
	paused := false
	for {
		r.mu.Lock()
		at, lim, spent, over := r.overBudget(st.addr, r.sup.now())
		first := over && !r.budget.exhausted[at]
		if first {
			r.budget.exhausted[at] = true
		}
		wake := r.budget.wake
		gen := st.gen
		var atGen int
		if a, ok := r.agents[at]; ok {
			atGen = a.gen
		}
		r.mu.Unlock()
		if !over {
			if paused {
				_, _ = r.record(ctx, st.addr, gen, messaging.AgentResumed{Reason: "budget raised"})
			}
			return nil
		}
		if first {
			if _, err := r.record(ctx, at, atGen, messaging.BudgetExhausted{Budget: lim, Spent: spent}); err != nil {
				return err
			}
		}
		if at.IsRoot() {
			r.suspendFor(fmt.Sprintf("the budget of /root is spent (%s); raise it with: cadre budget %s /root +AMOUNT", spent, r.ID), ErrBudget)
			<-ctx.Done()
			return ctx.Err()
		}
		if !paused {
			paused = true
			reason := fmt.Sprintf("budget of %s spent (%s); raise it with: cadre budget %s %s +AMOUNT", at, spent, r.ID, at)
			if _, err := r.record(ctx, st.addr, gen, messaging.AgentPaused{Reason: reason}); err != nil {
				return err
			}
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// setBudget records addr's new budget and wakes the agents waiting on one.
func (r *Run) setBudget(ctx context.Context, addr messaging.Address, b messaging.Budget, by string) error {
	r.mu.Lock()
	gen := 0
	if st, ok := r.agents[addr]; ok {
		gen = st.gen
	}
	r.mu.Unlock()
	if _, err := r.record(ctx, addr, gen, messaging.BudgetSet{Budget: b, By: by}); err != nil {
		return err
	}
	r.mu.Lock()
	r.budget.limits[addr] = b
	delete(r.budget.exhausted, addr)
	close(r.budget.wake)
	r.budget.wake = make(chan struct{})
	r.mu.Unlock()
	return nil
}

// raiseBudget adds raise to addr's budget.
func (r *Run) raiseBudget(ctx context.Context, addr messaging.Address, raise messaging.Budget, by string) error {
	r.mu.Lock()
	cur := r.budget.limits[addr]
	r.mu.Unlock()
	return r.setBudget(ctx, addr, cur.Add(raise), by)
}

// foldBudget applies one journaled event to the budget state while a run
// is rebuilt; last is the time of the event before ev.
func (r *Run) foldBudget(ev messaging.Event, last time.Time, open *time.Time) {
	switch ev.Type {
	case messaging.EvRunStarted:
		*open = ev.Time
	case messaging.EvRunSuspended:
		if !open.IsZero() {
			r.budget.sessions = append(r.budget.sessions, [2]time.Time{*open, ev.Time})
			*open = time.Time{}
		}
	case messaging.EvWarning:
		var w messaging.Warning
		if ev.Decode(&w) == nil && strings.HasPrefix(w.Text, resumedPrefix) {
			if !open.IsZero() { // the previous process was killed
				r.budget.sessions = append(r.budget.sessions, [2]time.Time{*open, last})
			}
			*open = ev.Time
		}
	case messaging.EvBudgetSet:
		var p messaging.BudgetSet
		if ev.Decode(&p) == nil {
			r.budget.limits[ev.Agent] = p.Budget
		}
	case messaging.EvModelTurn:
		var p messaging.ModelTurn
		if ev.Decode(&p) == nil {
			if st, ok := r.agents[ev.Agent]; ok {
				st.spent = st.spent.add(spend{usage: p.Usage, cost: p.CostUSD, turns: 1})
			}
		}
	case messaging.EvCompacted:
		var p messaging.Compacted
		if ev.Decode(&p) == nil {
			if st, ok := r.agents[ev.Agent]; ok {
				st.spent = st.spent.add(spend{usage: p.Usage, cost: p.CostUSD})
			}
		}
	}
}

// resumedPrefix starts the warning a resume journals; it also marks where
// a new process took the run over.
const resumedPrefix = "resumed by pid "
