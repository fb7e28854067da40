package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
	"github.com/cadre-dev/cadre/worktree"
)

// queueTestTimeout bounds one run of the test command on a merged tree.
const queueTestTimeout = 10 * time.Minute

// maxQueueOutput bounds the test output kept with a reverted merge.
const maxQueueOutput = 4000

var failedTest = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

// mergeQueue merges approved work into the result branch one commit at a
// time and checks each merged tree: the project's test command runs on it,
// sandboxed, in the queue's own worktree. A merge that breaks the tests (a
// test fails after it that did not fail before, or the command passed
// before and fails after) is taken back — the result branch returns to its
// previous tip — and reported with the output.
type mergeQueue struct {
	mu      sync.Mutex
	wt      *worktree.Worktree
	private string
	runner  sandbox.Runner
	tested  map[string]testOutcome // by commit
}

// testOutcome is the test command's verdict on one tree.
type testOutcome struct {
	res    sandbox.Result
	failed []string // failing test names found in the output
}

func (o testOutcome) passed() bool { return o.res.ExitCode == 0 && !o.res.TimedOut }

// breaks reports whether after is worse than before, and the tests that
// newly fail.
func breaks(before, after testOutcome) (bool, []string) {
	if after.passed() {
		return false, nil
	}
	if before.passed() {
		return true, after.failed
	}
	var fresh []string
	for _, f := range after.failed {
		if !slices.Contains(before.failed, f) {
			fresh = append(fresh, f)
		}
	}
	return len(fresh) > 0, fresh
}

// queueSlug names the queue's worktree and branch; agent slugs start with
// "root", so it cannot clash with one.
const queueSlug = "merge-queue"

// close releases the queue's runner; its worktree goes with the run's.
func (q *mergeQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.runner != nil {
		_ = q.runner.Close()
		q.runner = nil
	}
}

// merge merges commit (agent's approved work) into the result branch and
// verifies the merged tree. It returns what the requester is told.
func (r *Run) merge(ctx context.Context, agent messaging.Address, commit string) string {
	q := &r.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	prev, err := r.Repo.ResolveCommit(ctx, r.Result)
	if err != nil {
		return "merge into " + r.Result + " failed: " + err.Error()
	}
	// The intent first: a kill between the ref update and the verdict is
	// found and finished on resume (recoverMerge).
	if _, err := r.record(ctx, agent, 0, messaging.MergeStarted{Agent: agent, Commit: commit, Into: r.Result, Prev: prev}); err != nil {
		return "merge into " + r.Result + " failed: " + err.Error()
	}
	res, err := r.Repo.MergeCommit(ctx, r.Result, commit, r.author(messaging.Root), fmt.Sprintf("cadre: merge %s (%s)", agent, messaging.ShortCommit(commit)))
	if err != nil {
		failed := messaging.MergeFailed{Agent: agent, Commit: commit, Into: r.Result, Conflicts: res.Conflicts, Error: err.Error()}
		if errors.Is(err, worktree.ErrConflict) {
			// The conflict goes to a resolver working on the result branch.
			if who, conflicts, rerr := r.startResolver(ctx, agent, commit, prev); rerr == nil {
				failed.Resolver, failed.Onto = who, prev
				_, _ = r.record(ctx, agent, 0, failed)
				return fmt.Sprintf("NOT MERGED YET: merging into %s conflicts in %s; cadre started %s to resolve it in a worktree of the result branch; its report will say when the resolution is merged",
					r.Result, strings.Join(conflicts, ", "), who)
			} else {
				r.warnAgent(agent, fmt.Sprintf("could not start a resolver: %v", rerr))
			}
		}
		_, _ = r.record(ctx, agent, 0, failed)
		return "merge into " + r.Result + " failed: " + err.Error()
	}
	if res.UpToDate || res.Commit == prev || len(r.testCmd) == 0 || !r.verifyMerges {
		r.merged(ctx, agent, messaging.Merged{Agent: agent, Commit: commit, Into: r.Result, Result: res.Commit, FastForward: res.FastForward})
		return fmt.Sprintf("merged into %s at %s", r.Result, messaging.ShortCommit(res.Commit))
	}
	before, err := q.test(ctx, r, prev)
	var after testOutcome
	if err == nil {
		after, err = q.test(ctx, r, res.Commit)
	}
	if err != nil {
		// The check could not run: keep the merge, say so.
		r.merged(ctx, agent, messaging.Merged{Agent: agent, Commit: commit, Into: r.Result, Result: res.Commit, FastForward: res.FastForward})
		r.warnAgent(agent, fmt.Sprintf("the merged tree %s could not be tested: %v", messaging.ShortCommit(res.Commit), err))
		return fmt.Sprintf("merged into %s at %s (the merged tree could not be tested: %v)", r.Result, messaging.ShortCommit(res.Commit), err)
	}
	broke, fresh := breaks(before, after)
	if !broke {
		r.merged(ctx, agent, messaging.Merged{Agent: agent, Commit: commit, Into: r.Result, Result: res.Commit, FastForward: res.FastForward})
		verdict := "passes"
		if !after.passed() {
			verdict = "fails no test that did not fail before"
		}
		return fmt.Sprintf("merged into %s at %s; %s %s on the merged tree", r.Result, messaging.ShortCommit(res.Commit), strings.Join(r.testCmd, " "), verdict)
	}
	out := after.res
	if err := r.Repo.ResetBranch(ctx, r.Result, prev, res.Commit, "cadre: revert the merge of "+agent.String()); err != nil {
		r.warnAgent(agent, fmt.Sprintf("the tests fail on the merged tree %s but it could not be reverted: %v", messaging.ShortCommit(res.Commit), err))
		return fmt.Sprintf("merged into %s at %s, but the tests fail there and the merge could not be reverted: %v", r.Result, messaging.ShortCommit(res.Commit), err)
	}
	text := string(out.Output)
	if len(text) > maxQueueOutput {
		text = "[...]\n" + text[len(text)-maxQueueOutput:]
	}
	_, _ = r.record(ctx, agent, 0, messaging.MergeReverted{Agent: agent, Commit: commit, Into: r.Result, Merged: res.Commit,
		Restored: prev, Command: r.testCmd, ExitCode: out.ExitCode, Failed: fresh, Output: text})
	names := "see the output"
	if len(fresh) > 0 {
		names = strings.Join(fresh, ", ")
	}
	return fmt.Sprintf("NOT MERGED: %s passes on your branch but fails once merged with %s (failing: %s); the merge was reverted (%s is back at %s). Make your branch work with the result branch's current content and ask for review again. Output:\n%s",
		strings.Join(r.testCmd, " "), r.Result, names, r.Result, messaging.ShortCommit(prev), text)
}

// recoverMerge finishes a merge a kill interrupted (its merge_started has no
// outcome): if the result branch moved past the merge's previous tip, the
// merged tree is tested as the queue would have, and kept or reverted.
func (r *Run) recoverMerge(ctx context.Context, m messaging.MergeStarted) {
	q := &r.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	tip, err := r.Repo.ResolveCommit(ctx, r.Result)
	if err != nil || tip == m.Prev {
		return // the merge did not happen; the resent review will make it
	}
	if len(r.testCmd) == 0 || !r.verifyMerges {
		r.merged(ctx, m.Agent, messaging.Merged{Agent: m.Agent, Commit: m.Commit, Into: r.Result, Result: tip})
		return
	}
	before, err := q.test(ctx, r, m.Prev)
	var after testOutcome
	if err == nil {
		after, err = q.test(ctx, r, tip)
	}
	if err != nil {
		r.warnAgent(m.Agent, fmt.Sprintf("resume: the interrupted merge %s could not be tested: %v", messaging.ShortCommit(tip), err))
		r.merged(ctx, m.Agent, messaging.Merged{Agent: m.Agent, Commit: m.Commit, Into: r.Result, Result: tip})
		return
	}
	broke, fresh := breaks(before, after)
	if !broke {
		r.merged(ctx, m.Agent, messaging.Merged{Agent: m.Agent, Commit: m.Commit, Into: r.Result, Result: tip})
		return
	}
	if err := r.Repo.ResetBranch(ctx, r.Result, m.Prev, tip, "cadre: revert the interrupted merge of "+m.Agent.String()); err != nil {
		r.warnAgent(m.Agent, fmt.Sprintf("resume: the interrupted merge %s breaks the tests but could not be reverted: %v", messaging.ShortCommit(tip), err))
		return
	}
	text := string(after.res.Output)
	if len(text) > maxQueueOutput {
		text = "[...]\n" + text[len(text)-maxQueueOutput:]
	}
	_, _ = r.record(ctx, m.Agent, 0, messaging.MergeReverted{Agent: m.Agent, Commit: m.Commit, Into: r.Result, Merged: tip,
		Restored: m.Prev, Command: r.testCmd, ExitCode: after.res.ExitCode, Failed: fresh, Output: text})
}

// merged journals a kept merge and marks the agent's subtask merged.
func (r *Run) merged(ctx context.Context, agent messaging.Address, m messaging.Merged) {
	_, _ = r.record(ctx, agent, 0, m)
	r.mu.Lock()
	r.subtaskDone(agent, true)
	r.mu.Unlock()
}

// test runs the test command on commit (once per commit): checked out in
// the queue's worktree, confined like an agent's command.
func (q *mergeQueue) test(ctx context.Context, r *Run, commit string) (testOutcome, error) {
	if o, ok := q.tested[commit]; ok {
		return o, nil
	}
	res, err := q.run(ctx, r, commit)
	if err != nil {
		return testOutcome{}, err
	}
	o := testOutcome{res: res}
	for _, m := range failedTest.FindAllStringSubmatch(string(res.Output), -1) {
		o.failed = append(o.failed, m[1])
	}
	if q.tested == nil {
		q.tested = map[string]testOutcome{}
	}
	q.tested[commit] = o
	return o, nil
}

func (q *mergeQueue) run(ctx context.Context, r *Run, commit string) (sandbox.Result, error) {
	if q.wt == nil {
		dir := worktreeDir(r.sup.state, r.ID, queueSlug)
		wt, err := r.Repo.Add(ctx, dir, "cadre/"+r.ID+"/"+queueSlug, commit)
		if err != nil {
			// Left from an earlier process of this run: reuse it.
			wt = &worktree.Worktree{Path: dir, Branch: "cadre/" + r.ID + "/" + queueSlug}
			if _, serr := os.Stat(filepath.Join(dir, ".git")); serr != nil {
				return sandbox.Result{}, fmt.Errorf("merge queue worktree: %w", err)
			}
		}
		q.wt = wt
		q.private = privateDir(r.sup.state, r.ID, queueSlug)
		if err := os.MkdirAll(q.private, 0o700); err != nil {
			return sandbox.Result{}, fmt.Errorf("merge queue private directory: %w", err)
		}
	}
	if err := r.Repo.Checkout(ctx, q.wt, commit); err != nil {
		return sandbox.Result{}, fmt.Errorf("check out %s: %w", messaging.ShortCommit(commit), err)
	}
	if q.runner == nil {
		p := sandbox.AgentPolicy(q.wt.Path, q.private, r.Repo.CommonDir())
		if r.Spec.Sandbox == SandboxOff {
			p.Mode = sandbox.DangerFullAccess
		}
		runner, err := r.Spec.NewRunner(p)
		if err != nil {
			return sandbox.Result{}, fmt.Errorf("sandbox for the merge queue: %w", err)
		}
		q.runner = runner
	}
	return q.runner.Run(ctx, sandbox.Command{Argv: r.testCmd, Timeout: queueTestTimeout})
}
