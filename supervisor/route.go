package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cadre-dev/cadre/actors"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/worktree"
)

// ErrNoRecipient is returned for a message to an address with no live agent.
var ErrNoRecipient = errors.New("no such agent")

const maxDiff = 100 << 10

func (r *Run) author(addr messaging.Address) worktree.Author {
	return worktree.Author{Name: addr.String(), Email: addr.Slug() + "@cadre.local"}
}

// send fills in what cadre knows (branches, commits, diffs, candidates),
// journals the message and routes it to the recipient's actor.
func (r *Run) send(ctx context.Context, from *agentState, to messaging.Address, body messaging.Body) (messaging.Envelope, error) {
	var forward *messaging.Address
	switch b := body.(type) {
	case messaging.Report:
		to = from.parent
		r.mu.Lock()
		res, resolving := r.resolutions[from.addr]
		r.mu.Unlock()
		if resolving && b.Status == "done" {
			merged, err := r.finishResolution(ctx, from, res)
			if err != nil {
				return messaging.Envelope{}, err
			}
			b.Summary += "\n" + merged
		}
		b.Branch, b.Commit = from.wt.Branch, r.head(from)
		body = b
	case messaging.TestRequest:
		commit, err := r.candidate(ctx, from.addr, b.Agents)
		if err != nil {
			return messaging.Envelope{}, err
		}
		b.Commit = commit
		body = b
	case messaging.ReviewRequest:
		st, ok := r.agent(b.Agent)
		if !ok || st.wt == nil {
			return messaging.Envelope{}, fmt.Errorf("review_request: %w at %s", ErrNoRecipient, b.Agent)
		}
		// The diff is the agent's own work: against the commit its branch
		// started from (the result branch, for a subtask after others).
		b.Commit, b.Base = r.head(st), r.Base
		if st.wt.Base != "" {
			b.Base = st.wt.Base
		}
		diff, err := r.Repo.Diff(ctx, b.Base, b.Commit)
		if err != nil {
			return messaging.Envelope{}, fmt.Errorf("review_request: diff of %s: %w", b.Agent, err)
		}
		if len(diff) > maxDiff {
			diff = diff[:maxDiff] + "\n[cadre: diff truncated; read the files for the rest]\n"
		}
		b.Diff = diff
		r.mu.Lock()
		rs := r.reviews[b.Agent]
		rs.requester, rs.commit = from.addr, b.Commit
		r.reviews[b.Agent] = rs
		r.mu.Unlock()
		body = b
	case messaging.Review:
		r.mu.Lock()
		rs, ok := r.reviews[b.Agent]
		r.mu.Unlock()
		if !ok || rs.commit == "" {
			return messaging.Envelope{}, fmt.Errorf("review: no review_request for %s is open", b.Agent)
		}
		to, b.Commit = rs.requester, rs.commit
		switch b.Verdict {
		case messaging.VerdictApprove:
			b.Merge = r.merge(ctx, b.Agent, rs.commit)
		case messaging.VerdictRequestChanges:
			rs.rounds++
			b.Round = rs.rounds
			if rs.rounds <= r.Spec.MaxReviewRounds {
				author := b.Agent
				forward = &author
			} else {
				b.Merge = fmt.Sprintf("round limit (%d) reached: not sent back to %s; the planner decides", r.Spec.MaxReviewRounds, b.Agent)
			}
		}
		rs.commit = ""
		r.mu.Lock()
		r.reviews[b.Agent] = rs
		r.mu.Unlock()
		body = b
	}
	env, err := r.deliver(ctx, from, to, body)
	if err != nil {
		return env, err
	}
	if forward != nil {
		if _, err := r.deliver(ctx, from, *forward, body); err != nil {
			return env, fmt.Errorf("send review back to %s: %w", *forward, err)
		}
	}
	return env, nil
}

// deliver journals message_sent and hands the envelope to the recipient.
func (r *Run) deliver(ctx context.Context, from *agentState, to messaging.Address, body messaging.Body) (messaging.Envelope, error) {
	st, ok := r.agent(to)
	if !ok || st.failed {
		return messaging.Envelope{}, fmt.Errorf("%s to %s: %w (agents: %s)", body.Kind(), to, ErrNoRecipient, joinAddrs(r.Agents()))
	}
	env, err := messaging.NewEnvelope(r.ID, from.addr, to, st.gen, r.nextSeq(from.addr), r.sup.now(), body)
	if err != nil {
		return env, err
	}
	if _, err := r.record(ctx, from.addr, from.gen, messaging.MessageSent{Envelope: env, CallID: actors.CallID(ctx)}); err != nil {
		return env, err
	}
	r.post(st, env)
	return env, nil
}

// post queues env for its recipient and hands it to the recipient's actor.
// An actor not started yet (a resume starts parents first) takes its queue
// when it starts.
func (r *Run) post(st *agentState, env messaging.Envelope) {
	r.mu.Lock()
	r.pending[st.addr] = append(r.pending[st.addr], env)
	pid := st.pid
	r.mu.Unlock()
	if pid != nil {
		r.sup.system.Root.Send(pid, &deliverMsg{env: env})
	}
}

// head is an agent's last snapshot commit.
func (r *Run) head(st *agentState) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return st.lastSnap
}

// snapshot commits a writing agent's worktree to its branch if it changed.
func (r *Run) snapshot(ctx context.Context, st *agentState) error {
	if !writes(st) {
		return nil
	}
	commit, changed, err := r.Repo.Snapshot(ctx, st.wt, r.author(st.addr), fmt.Sprintf("%s: work in progress", st.addr))
	if err != nil || !changed {
		return err
	}
	prev := r.head(st)
	files, err := r.Repo.ChangedFiles(ctx, prev, commit)
	if err != nil {
		return err
	}
	if outside := r.outsideLease(st, files); len(outside) > 0 {
		// A command wrote where the lease does not reach (the sandbox
		// confines writes to the lease's directories, not to its globs):
		// undo those paths and commit again.
		if err := r.Repo.RestorePaths(ctx, st.wt, prev, outside); err != nil {
			return err
		}
		if commit, _, err = r.Repo.Snapshot(ctx, st.wt, r.author(st.addr), fmt.Sprintf("%s: work in progress", st.addr)); err != nil {
			return err
		}
		if files, err = r.Repo.ChangedFiles(ctx, prev, commit); err != nil {
			return err
		}
		text := fmt.Sprintf("cadre: %s changed outside your write lease %q (subtask %q); the change was undone. Ask your planner to revise the plan if you must change it.",
			strings.Join(outside, ", "), st.lease, st.subtask)
		r.warnAgent(st.addr, text)
		if err := r.userMessage(ctx, st.addr, text); err != nil {
			return err
		}
		if commit == prev {
			return nil
		}
	}
	r.mu.Lock()
	st.lastSnap = commit
	r.mu.Unlock()
	if _, err := r.record(ctx, st.addr, st.gen, messaging.Snapshot{Branch: st.wt.Branch, Commit: commit, Files: files}); err != nil {
		return err
	}
	r.forecast(ctx, st, commit)
	return nil
}

func writes(st *agentState) bool {
	for _, t := range st.role.Tools {
		if t == "apply_patch" {
			return true
		}
	}
	return false
}

// candidate builds the commit a tester tests: the base with the listed
// agents' work merged in, without touching any branch.
func (r *Run) candidate(ctx context.Context, from messaging.Address, agents []messaging.Address) (string, error) {
	commit := r.Base
	for _, a := range agents {
		st, ok := r.agent(a)
		if !ok || st.wt == nil {
			return "", fmt.Errorf("test_request: %w at %s", ErrNoRecipient, a)
		}
		next, conflicts, err := r.Repo.MergeCommits(ctx, commit, r.head(st), r.author(from), "cadre: test candidate with "+a.String())
		if err != nil {
			if len(conflicts) > 0 {
				return "", fmt.Errorf("test_request: the work of %s conflicts with the others in %v", a, conflicts)
			}
			return "", fmt.Errorf("test_request: %w", err)
		}
		commit = next
	}
	return commit, nil
}
