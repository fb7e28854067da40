package worktree

import (
	"context"
	"errors"
	"fmt"
)

// MergeResult is the outcome of Merge.
type MergeResult struct {
	Commit      string   // new tip of the target branch (unchanged on conflict)
	FastForward bool     // the target was an ancestor and was moved forward
	UpToDate    bool     // the source was already contained in the target
	Conflicts   []string // conflicting paths; set only with ErrConflict
}

// Merge merges branch from into branch into without checking anything out:
// a fast-forward when into is an ancestor of from, otherwise
// `git merge-tree --write-tree`, a two-parent commit by a, and a ref update
// guarded by into's old tip. On conflict no ref moves, the returned error
// wraps ErrConflict and the result lists the paths. into must not be checked
// out in any worktree (ErrBranchInUse): moving it would leave that
// worktree's files and index behind.
func (r *Repo) Merge(ctx context.Context, into, from string, a Author, message string) (MergeResult, error) {
	fail := func(err error) (MergeResult, error) {
		return MergeResult{}, fmt.Errorf("merge %s into %s: %w", from, into, err)
	}
	if err := checkBranch(into); err != nil {
		return fail(err)
	}
	if err := checkBranch(from); err != nil {
		return fail(err)
	}
	if _, err := a.env(); err != nil {
		return fail(err)
	}
	if message == "" {
		message = fmt.Sprintf("Merge branch '%s' into %s", from, into)
	}
	defer r.locks.lock(into, from)()

	ours, ok, err := r.branchTip(ctx, into)
	if err != nil {
		return fail(err)
	}
	if !ok {
		return fail(fmt.Errorf("%w: %s", ErrNoBranch, into))
	}
	theirs, ok, err := r.branchTip(ctx, from)
	if err != nil {
		return fail(err)
	}
	if !ok {
		return fail(fmt.Errorf("%w: %s", ErrNoBranch, from))
	}
	if err := r.checkNotCheckedOut(ctx, into); err != nil {
		return fail(err)
	}
	if ours == theirs {
		return MergeResult{Commit: ours, UpToDate: true}, nil
	}
	if anc, err := r.isAncestor(ctx, theirs, ours); err != nil {
		return fail(err)
	} else if anc {
		return MergeResult{Commit: ours, UpToDate: true}, nil
	}
	if anc, err := r.isAncestor(ctx, ours, theirs); err != nil {
		return fail(err)
	} else if anc {
		if err := r.moveBranch(ctx, into, theirs, ours, "cadre: fast-forward "+from); err != nil {
			return fail(err)
		}
		return MergeResult{Commit: theirs, FastForward: true}, nil
	}

	tree, conflicts, err := r.mergeTree(ctx, ours, theirs)
	if err != nil {
		if errors.Is(err, ErrConflict) {
			return MergeResult{Commit: ours, Conflicts: conflicts}, fmt.Errorf("merge %s into %s: %w", from, into, err)
		}
		return fail(err)
	}
	commit, err := r.commitTree(ctx, tree, a, message, ours, theirs)
	if err != nil {
		return fail(err)
	}
	if err := r.moveBranch(ctx, into, commit, ours, "cadre: merge "+from); err != nil {
		return fail(err)
	}
	return MergeResult{Commit: commit}, nil
}

// isAncestor reports whether a is an ancestor of (or equal to) b.
func (r *Repo) isAncestor(ctx context.Context, a, b string) (bool, error) {
	_, err := r.run(ctx, r.root, "merge-base", "--is-ancestor", a, b)
	switch exitCode(err) {
	case 0:
		return true, nil
	case 1:
		return false, nil
	default:
		return false, err
	}
}

// ResetBranch moves branch back (or anywhere) to commit, only if it still
// points at from; otherwise nothing moves and the error says the ref
// changed. The merge queue uses it to take back a merge that broke the
// tests; from's commits stay reachable from the branch that was merged.
func (r *Repo) ResetBranch(ctx context.Context, branch, commit, from, reason string) error {
	if err := checkBranch(branch); err != nil {
		return fmt.Errorf("reset %s: %w", branch, err)
	}
	defer r.locks.lock(branch)()
	if err := r.checkNotCheckedOut(ctx, branch); err != nil {
		return fmt.Errorf("reset %s: %w", branch, err)
	}
	if err := r.moveBranch(ctx, branch, commit, from, reason); err != nil {
		return fmt.Errorf("reset %s to %s: %w", branch, commit, err)
	}
	return nil
}

// moveBranch sets refs/heads/<branch> to next if it still points at prev.
func (r *Repo) moveBranch(ctx context.Context, branch, next, prev, reason string) error {
	if _, err := r.run(ctx, r.root, "update-ref", "-m", reason, "refs/heads/"+branch, next, prev); err != nil {
		return refUpdateError(err)
	}
	return nil
}
