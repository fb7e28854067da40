package worktree

import (
	"github.com/cadre-dev/cadre/messaging"

	"context"
	"fmt"
	"strings"
)

// MergeCommits merges commit theirs into commit ours without touching any
// ref or checkout and returns the merge commit (or the descendant when one
// contains the other). On conflict the error wraps ErrConflict and
// conflicts lists the paths. The supervisor uses it to build the commit a
// tester tests from several agents' work.
func (r *Repo) MergeCommits(ctx context.Context, ours, theirs string, a Author, message string) (commit string, conflicts []string, err error) {
	fail := func(err error) (string, []string, error) {
		return "", nil, fmt.Errorf("merge %s with %s: %w", messaging.ShortCommit(ours), messaging.ShortCommit(theirs), err)
	}
	if ours == theirs {
		return ours, nil, nil
	}
	if anc, err := r.isAncestor(ctx, theirs, ours); err != nil {
		return fail(err)
	} else if anc {
		return ours, nil, nil
	}
	if anc, err := r.isAncestor(ctx, ours, theirs); err != nil {
		return fail(err)
	} else if anc {
		return theirs, nil, nil
	}
	tree, conflicts, err := r.mergeTree(ctx, ours, theirs)
	if err != nil {
		return "", conflicts, fmt.Errorf("merge %s with %s: %w", messaging.ShortCommit(ours), messaging.ShortCommit(theirs), err)
	}
	commit, err = r.commitTree(ctx, tree, a, message, ours, theirs)
	if err != nil {
		return fail(err)
	}
	return commit, nil, nil
}

// MergeCommit merges commit (not necessarily a branch tip) into branch into
// without checking anything out, like Merge.
func (r *Repo) MergeCommit(ctx context.Context, into, commit string, a Author, message string) (MergeResult, error) {
	fail := func(err error) (MergeResult, error) {
		return MergeResult{}, fmt.Errorf("merge %s into %s: %w", messaging.ShortCommit(commit), into, err)
	}
	if err := checkBranch(into); err != nil {
		return fail(err)
	}
	defer r.locks.lock(into)()
	ours, ok, err := r.branchTip(ctx, into)
	if err != nil {
		return fail(err)
	}
	if !ok {
		return fail(fmt.Errorf("%w: %s", ErrNoBranch, into))
	}
	if err := r.checkNotCheckedOut(ctx, into); err != nil {
		return fail(err)
	}
	if message == "" {
		message = fmt.Sprintf("Merge %s into %s", messaging.ShortCommit(commit), into)
	}
	next, conflicts, err := r.MergeCommits(ctx, ours, commit, a, message)
	if err != nil {
		return MergeResult{Commit: ours, Conflicts: conflicts}, fmt.Errorf("merge %s into %s: %w", messaging.ShortCommit(commit), into, err)
	}
	res := MergeResult{Commit: next}
	switch next {
	case ours:
		res.UpToDate = true
		return res, nil
	case commit:
		res.FastForward = true
	}
	if err := r.moveBranch(ctx, into, next, ours, "cadre: merge "+messaging.ShortCommit(commit)); err != nil {
		return fail(err)
	}
	return res, nil
}

// mergeTree runs `git merge-tree --write-tree` and returns the merged tree,
// or the conflicting paths with an error wrapping ErrConflict.
func (r *Repo) mergeTree(ctx context.Context, ours, theirs string) (tree string, conflicts []string, err error) {
	out, err := r.run(ctx, r.root, "merge-tree", "--write-tree", "--name-only", "-z", "--no-messages", ours, theirs)
	switch exitCode(err) {
	case 0:
	case 1:
		fields := splitNUL(out)
		seen := map[string]bool{}
		if len(fields) > 1 {
			for _, p := range fields[1:] {
				if !seen[p] {
					seen[p] = true
					conflicts = append(conflicts, p)
				}
			}
		}
		return "", conflicts, fmt.Errorf("%w in %s", ErrConflict, strings.Join(conflicts, ", "))
	default:
		return "", nil, err
	}
	fields := splitNUL(out)
	if len(fields) == 0 {
		return "", nil, fmt.Errorf("merge-tree printed no tree")
	}
	return fields[0], nil, nil
}

// commitTree writes a commit of tree with the given parents.
func (r *Repo) commitTree(ctx context.Context, tree string, a Author, message string, parents ...string) (string, error) {
	env, err := a.env()
	if err != nil {
		return "", err
	}
	args := []string{"commit-tree", tree}
	for _, p := range parents {
		args = append(args, "-p", p)
	}
	args = append(args, "-F", "-")
	out, err := r.git.Run(ctx, r.root, env, strings.NewReader(message), args...)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Checkout puts a linked worktree at commit, detached, and removes
// untracked and ignored files, so a test sees exactly that commit.
func (r *Repo) Checkout(ctx context.Context, w *Worktree, commit string) error {
	if _, err := r.run(ctx, w.Path, "checkout", "-q", "--detach", "--force", commit); err != nil {
		return fmt.Errorf("check out %s in %s: %w", messaging.ShortCommit(commit), w.Path, err)
	}
	if _, err := r.run(ctx, w.Path, "clean", "-q", "-f", "-d", "-x"); err != nil {
		return fmt.Errorf("clean %s: %w", w.Path, err)
	}
	return nil
}
