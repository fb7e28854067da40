package supervisor

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// resolverRole is the built-in role the merge queue gives a conflict to.
const resolverRole = "resolver"

// resolution is a conflict a resolver works on: merging commit (agent's
// approved work) into the result branch at onto conflicted in conflicts.
type resolution struct {
	agent     messaging.Address
	commit    string
	onto      string
	conflicts []string
}

// startResolver gives a conflicting merge to a new resolver agent under
// /root: its worktree is the result branch with agent's work merged in,
// conflict markers and all. Its report (done) makes the real merge.
func (r *Run) startResolver(ctx context.Context, agent messaging.Address, commit, onto string) (messaging.Address, []string, error) {
	if _, err := r.Spec.Roles.Lookup(resolverRole); err != nil {
		return messaging.Address{}, nil, err
	}
	c0, conflicts, err := r.Repo.ConflictCommit(ctx, onto, commit, r.author(messaging.Root),
		fmt.Sprintf("cadre: merge %s (%s) with conflict markers, to resolve", agent, messaging.ShortCommit(commit)))
	if err != nil {
		return messaging.Address{}, nil, err
	}
	r.mu.Lock()
	root, ok := r.agents[messaging.Root]
	n := len(r.resolutions) + 1
	for {
		if _, taken := r.agents[resolverAddr(n)]; !taken {
			break
		}
		n++
	}
	r.mu.Unlock()
	if !ok || root.pid == nil {
		return messaging.Address{}, nil, fmt.Errorf("no /root to start a resolver under")
	}
	addr := resolverAddr(n)
	task := fmt.Sprintf("Merging %s's work (commit %s) into the result branch conflicted in %s. Your worktree holds the result branch with that work merged in and conflict markers in those files: resolve them (keep both sides' intent), check with the tests, and report done.",
		agent, messaging.ShortCommit(commit), strings.Join(conflicts, ", "))
	if _, err := r.spawnAt(ctx, root.pid, messaging.Root, addr, resolverRole, task, "", c0); err != nil {
		return messaging.Address{}, nil, err
	}
	r.mu.Lock()
	if r.resolutions == nil {
		r.resolutions = map[messaging.Address]resolution{}
	}
	r.resolutions[addr] = resolution{agent: agent, commit: commit, onto: onto, conflicts: conflicts}
	r.mu.Unlock()
	if err := r.userMessage(ctx, addr, "cadre: "+task); err != nil {
		return messaging.Address{}, nil, err
	}
	return addr, conflicts, nil
}

// finishResolution is called when a resolver reports done: its work must
// hold no conflict marker; then the merge of the original work is made with
// the resolver's tree and goes through the merge queue. It returns what the
// resolver's report adds.
func (r *Run) finishResolution(ctx context.Context, st *agentState, res resolution) (string, error) {
	if err := r.snapshot(ctx, st); err != nil {
		return "", err
	}
	var marked []string
	for _, p := range res.conflicts {
		if hasConflictMarkers(filepath.Join(st.wt.Path, filepath.FromSlash(p))) {
			marked = append(marked, p)
		}
	}
	if len(marked) > 0 {
		return "", fmt.Errorf("conflict markers remain in %s: resolve them, then report again", strings.Join(marked, ", "))
	}
	m, err := r.Repo.ResolvedMerge(ctx, res.onto, res.commit, r.head(st), r.author(st.addr),
		fmt.Sprintf("cadre: merge %s (%s), resolved by %s", res.agent, messaging.ShortCommit(res.commit), st.addr))
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	delete(r.resolutions, st.addr)
	r.mu.Unlock()
	return r.merge(ctx, res.agent, m), nil
}

func resolverAddr(n int) messaging.Address {
	return messaging.MustParseAddress(fmt.Sprintf("/root/resolver_%d", n))
}

// foldResolution rebuilds the conflicts resolvers work on while a run is
// resumed: a merge_failed naming a resolver opens one; the resolver's sent
// report (sent only once its resolution was merged) closes it.
func (r *Run) foldResolution(ev messaging.Event) {
	switch ev.Type {
	case messaging.EvMergeFailed:
		var p messaging.MergeFailed
		if ev.Decode(&p) == nil && !p.Resolver.IsZero() {
			if r.resolutions == nil {
				r.resolutions = map[messaging.Address]resolution{}
			}
			r.resolutions[p.Resolver] = resolution{agent: p.Agent, commit: p.Commit, onto: p.Onto, conflicts: p.Conflicts}
		}
	case messaging.EvMessageSent:
		var p messaging.MessageSent
		if ev.Decode(&p) == nil && p.Envelope.Kind == messaging.KindReport {
			if rep, err := p.Envelope.Decode(); err == nil && rep.(messaging.Report).Status == "done" {
				delete(r.resolutions, p.Envelope.From)
			}
		}
	}
}

// hasConflictMarkers reports whether the file has a line of git's conflict
// markers; a missing file has none.
func hasConflictMarkers(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "<<<<<<< ") || strings.HasPrefix(l, ">>>>>>> ") || l == "=======" {
			return true
		}
	}
	return false
}
