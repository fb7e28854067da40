package worktree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// Applying a run's result is the one place where cadre changes the user's own
// work tree, index and checked-out branch, and only on request (`cadre
// apply`). Every method here first makes sure that nothing of the user's can
// be lost: the work tree must be clean (no tracked change, no untracked file
// that is not ignored) and no other git operation may be under way; a merge
// that would conflict is found with `git merge-tree` before the work tree is
// touched, and one that conflicts anyway is aborted.
//
// The git runner's hermetic options apply here too: no hooks run and
// nothing is signed. The merge commit's author and committer are the user's
// identity from their git configuration, not an agent's.

var (
	// ErrDirty: the work tree has uncommitted changes or untracked files;
	// nothing was changed. The error is a *PathsError listing them.
	ErrDirty = errors.New("the working tree has uncommitted changes")
	// ErrDetached: HEAD is detached, so there is no branch to merge into.
	ErrDetached = errors.New("HEAD is detached")
	// ErrInProgress: a merge, rebase, cherry-pick, revert or bisect is under
	// way in the work tree.
	ErrInProgress = errors.New("another git operation is in progress")
)

// PathsError is an error about a set of paths of the user's work tree: the
// dirty ones that stop an apply (Err is ErrDirty) or the conflicting ones of
// a merge (Err is ErrConflict). errors.Is sees Err; errors.As gives the paths.
type PathsError struct {
	Op    string // what was refused, e.g. "merge 0123456789ab into main"
	Err   error
	Paths []string // sorted
}

func (e *PathsError) Error() string {
	return fmt.Sprintf("%s: %v: %s", e.Op, e.Err, strings.Join(e.Paths, ", "))
}

func (e *PathsError) Unwrap() error { return e.Err }

// inProgress lists the files git leaves in the git dir while an operation
// waits for the user, with the operation's name.
var inProgress = []struct{ file, op string }{
	{"MERGE_HEAD", "a merge"},
	{"rebase-merge", "a rebase"},
	{"rebase-apply", "a rebase or am"},
	{"CHERRY_PICK_HEAD", "a cherry-pick"},
	{"REVERT_HEAD", "a revert"},
	{"BISECT_LOG", "a bisect"},
}

// CheckClean returns nil when the opened work tree may be changed without
// losing anything: no modified, staged or untracked (not ignored) path, and
// no merge, rebase, cherry-pick, revert or bisect under way. Otherwise the
// error wraps ErrDirty (a *PathsError listing the paths) or ErrInProgress.
func (r *Repo) CheckClean(ctx context.Context) error {
	for _, p := range inProgress {
		_, err := os.Lstat(filepath.Join(r.gitDir, p.file))
		if err == nil {
			return fmt.Errorf("%s: %w: %s (finish or abort it first)", r.root, ErrInProgress, p.op)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", r.root, err)
		}
	}
	dirty, paths, err := r.Dirty(ctx)
	if err != nil {
		return err
	}
	if dirty {
		return &PathsError{Op: r.root, Err: ErrDirty, Paths: paths}
	}
	return nil
}

// MergeInto merges commit into the branch checked out in the opened work
// tree with a real `git merge --no-ff`, so that the branch gets one merge
// commit with the given message (which `git revert -m 1` undoes as a
// unit), even when a fast-forward would be possible. The merge is made by the
// user's git identity.
//
// It changes nothing and returns an error when HEAD is detached
// (ErrDetached), the work tree is not clean (see CheckClean), or the merge
// would conflict (a *PathsError wrapping ErrConflict, found with `git
// merge-tree` before the work tree is touched; a merge that conflicts anyway
// is aborted). When commit is already contained in HEAD the result has
// UpToDate set and nothing is written. Otherwise Commit is the new HEAD.
func (r *Repo) MergeInto(ctx context.Context, commit, message string) (MergeResult, error) {
	c, err := r.ResolveCommit(ctx, commit)
	if err != nil {
		return MergeResult{}, fmt.Errorf("merge %s: %w", commit, err)
	}
	head, branch, err := r.Head(ctx)
	if err != nil {
		return MergeResult{}, fmt.Errorf("merge %s: %w", messaging.ShortCommit(c), err)
	}
	op := fmt.Sprintf("merge %s into %s", messaging.ShortCommit(c), branch)
	fail := func(err error) (MergeResult, error) {
		return MergeResult{Commit: head}, fmt.Errorf("%s: %w", op, err)
	}
	if branch == "" {
		return MergeResult{Commit: head}, fmt.Errorf("merge %s: %w: check out the branch to merge into", messaging.ShortCommit(c), ErrDetached)
	}
	defer r.locks.lock(branch)()
	if err := r.CheckClean(ctx); err != nil {
		return fail(err)
	}
	if anc, err := r.isAncestor(ctx, c, head); err != nil {
		return fail(err)
	} else if anc {
		return MergeResult{Commit: head, UpToDate: true}, nil
	}
	if _, conflicts, err := r.mergeTree(ctx, head, c); err != nil {
		if errors.Is(err, ErrConflict) {
			return MergeResult{Commit: head, Conflicts: conflicts}, &PathsError{Op: op, Err: ErrConflict, Paths: sortedCopy(conflicts)}
		}
		return fail(err)
	}
	// Fail before the work tree is touched when git could not write the
	// merge commit for want of an identity.
	if _, err := r.run(ctx, r.root, "var", "GIT_COMMITTER_IDENT"); err != nil {
		return fail(fmt.Errorf("no git identity to write the merge commit (set user.name and user.email): %w", err))
	}
	if message == "" {
		message = fmt.Sprintf("Merge %s into %s", messaging.ShortCommit(c), branch)
	}
	_, mergeErr := r.run(ctx, r.root, "merge", "--no-ff", "--no-edit", "--no-autostash", "--no-squash",
		"--quiet", "-m", message, c)
	if mergeErr != nil {
		return r.abortMerge(ctx, op, head, mergeErr)
	}
	next, err := r.ResolveCommit(ctx, "HEAD")
	if err != nil {
		return fail(err)
	}
	return MergeResult{Commit: next}, nil
}

// abortMerge puts the work tree back after a failed `git merge` and returns
// the error to report: the conflicting paths when there were some.
func (r *Repo) abortMerge(ctx context.Context, op, head string, mergeErr error) (MergeResult, error) {
	var conflicts []string
	if out, err := r.run(ctx, r.root, "diff", "--name-only", "-z", "--diff-filter=U"); err == nil {
		conflicts = sortedCopy(splitNUL(out))
	}
	if _, err := os.Lstat(filepath.Join(r.gitDir, "MERGE_HEAD")); err == nil {
		if _, err := r.run(ctx, r.root, "merge", "--abort"); err != nil {
			return MergeResult{Commit: head, Conflicts: conflicts}, fmt.Errorf("%s: %w; and git merge --abort failed: %w", op, mergeErr, err)
		}
	}
	if len(conflicts) > 0 {
		return MergeResult{Commit: head, Conflicts: conflicts}, &PathsError{Op: op, Err: ErrConflict, Paths: conflicts}
	}
	return MergeResult{Commit: head}, fmt.Errorf("%s: %w", op, mergeErr)
}

// CheckoutNewBranch creates branch name at commit and checks it out in the
// opened work tree (`git checkout -b`). The work tree must be clean (see
// CheckClean). When the branch already exists at commit it is checked out;
// when it exists elsewhere the error wraps ErrBranchExists. A detached HEAD is
// fine: nothing is merged into it.
func (r *Repo) CheckoutNewBranch(ctx context.Context, name, commit string) error {
	if err := checkBranch(name); err != nil {
		return fmt.Errorf("check out new branch: %w", err)
	}
	c, err := r.ResolveCommit(ctx, commit)
	if err != nil {
		return fmt.Errorf("check out new branch %s: %w", name, err)
	}
	defer r.locks.lock(name)()
	if err := r.CheckClean(ctx); err != nil {
		return fmt.Errorf("check out new branch %s: %w", name, err)
	}
	tip, ok, err := r.branchTip(ctx, name)
	if err != nil {
		return fmt.Errorf("check out new branch %s: %w", name, err)
	}
	args := []string{"checkout", "--quiet", "-b", name, c}
	if ok {
		if tip != c {
			return fmt.Errorf("check out new branch %s at %s: %w at %s", name, messaging.ShortCommit(c), ErrBranchExists, messaging.ShortCommit(tip))
		}
		args = []string{"checkout", "--quiet", name, "--"}
	}
	if _, err := r.run(ctx, r.root, args...); err != nil {
		return fmt.Errorf("check out new branch %s: %w", name, err)
	}
	return nil
}

// DiffStat returns `git diff --stat` from base to head (tree to tree), 80
// columns wide whatever the terminal, without colour.
func (r *Repo) DiffStat(ctx context.Context, base, head string) (string, error) {
	if err := checkRev(base); err != nil {
		return "", fmt.Errorf("diffstat: %w", err)
	}
	if err := checkRev(head); err != nil {
		return "", fmt.Errorf("diffstat: %w", err)
	}
	out, err := r.run(ctx, r.root, "diff", "--stat=80", "--no-color", "--no-ext-diff", base, head, "--")
	if err != nil {
		return "", fmt.Errorf("diffstat %s..%s: %w", base, head, err)
	}
	return string(out), nil
}

// IsAncestor reports whether commit a is an ancestor of (or equal to) b.
func (r *Repo) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	if err := checkRev(a); err != nil {
		return false, err
	}
	if err := checkRev(b); err != nil {
		return false, err
	}
	ok, err := r.isAncestor(ctx, a, b)
	if err != nil {
		return false, fmt.Errorf("is %s an ancestor of %s: %w", a, b, err)
	}
	return ok, nil
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
