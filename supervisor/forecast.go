package supervisor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// forecast runs after a snapshot of st's work: it merges st's new commit in
// memory with the result branch and with every other active agent's work,
// and reports a coming conflict to st's parent (the planner) at once, not
// at merge time. Each distinct conflict is reported once.
func (r *Run) forecast(ctx context.Context, st *agentState, commit string) {
	type other struct{ name, commit string }
	var others []other
	if tip, err := r.Repo.ResolveCommit(ctx, r.Result); err == nil && tip != r.Base {
		others = append(others, other{r.Result, tip})
	}
	r.mu.Lock()
	for a, o := range r.agents {
		if a == st.addr || o.failed || o.stopped || o.wt == nil || o.lastSnap == "" || o.lastSnap == o.wt.Base || !writes(o) {
			continue
		}
		others = append(others, other{a.String(), o.lastSnap})
	}
	r.mu.Unlock()
	sort.Slice(others, func(i, j int) bool { return others[i].name < others[j].name })
	for _, o := range others {
		paths, err := r.Repo.Forecast(ctx, commit, o.commit)
		if err != nil {
			r.warnAgent(st.addr, fmt.Sprintf("conflict forecast with %s: %v", o.name, err))
			continue
		}
		if len(paths) == 0 {
			continue
		}
		key := st.addr.String() + "|" + o.name + "|" + strings.Join(paths, ",")
		r.mu.Lock()
		seen := r.forecasts[key]
		if r.forecasts == nil {
			r.forecasts = map[string]bool{}
		}
		r.forecasts[key] = true
		r.mu.Unlock()
		if seen {
			continue
		}
		_, _ = r.record(ctx, st.addr, st.gen, messaging.ConflictForecast{Commit: commit, With: o.name, Paths: paths})
		text := fmt.Sprintf("cadre conflict forecast: the work of %s (%s) and %s would conflict when merged, in %s. Decide now who changes these files (or in which order), before either asks for review.",
			st.addr, messaging.ShortCommit(commit), o.name, strings.Join(paths, ", "))
		to := st.parent
		if to.IsZero() {
			to = st.addr
		}
		if err := r.userMessage(ctx, to, text); err != nil {
			r.warnAgent(st.addr, fmt.Sprintf("could not tell %s of a coming conflict: %v", to, err))
		}
	}
}
