package worktree

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ConflictCommit prepares the resolution of a conflicting merge of theirs
// into ours: a commit whose only parent is ours and whose tree is the
// merge with git's conflict markers in the conflicting files (what `git
// merge-tree --write-tree` writes). A resolver works on top of it; then
// ResolvedMerge makes the real merge commit. It returns ErrNoConflict if
// the two merge cleanly.
func (r *Repo) ConflictCommit(ctx context.Context, ours, theirs string, a Author, message string) (commit string, conflicts []string, err error) {
	fail := func(err error) (string, []string, error) {
		return "", nil, fmt.Errorf("prepare the conflict of %s with %s: %w", ours, theirs, err)
	}
	if err := checkRev(ours); err != nil {
		return fail(err)
	}
	if err := checkRev(theirs); err != nil {
		return fail(err)
	}
	out, err := r.run(ctx, r.root, "merge-tree", "--write-tree", "--name-only", "-z", "--no-messages", ours, theirs)
	switch exitCode(err) {
	case 1:
	case 0:
		return fail(ErrNoConflict)
	default:
		return fail(err)
	}
	fields := splitNUL(out)
	if len(fields) < 2 {
		return fail(errors.New("merge-tree printed no conflicted tree"))
	}
	seen := map[string]bool{}
	for _, p := range fields[1:] {
		if !seen[p] {
			seen[p] = true
			conflicts = append(conflicts, p)
		}
	}
	commit, err = r.commitTree(ctx, fields[0], a, message, ours)
	if err != nil {
		return fail(err)
	}
	return commit, conflicts, nil
}

// ResolvedMerge makes the merge commit of ours and theirs whose tree is
// resolved's (a resolver's work on top of a ConflictCommit).
func (r *Repo) ResolvedMerge(ctx context.Context, ours, theirs, resolved string, a Author, message string) (string, error) {
	for _, rev := range []string{ours, theirs, resolved} {
		if err := checkRev(rev); err != nil {
			return "", fmt.Errorf("resolved merge: %w", err)
		}
	}
	out, err := r.run(ctx, r.root, "rev-parse", resolved+"^{tree}")
	if err != nil {
		return "", fmt.Errorf("resolved merge: tree of %s: %w", resolved, err)
	}
	c, err := r.commitTree(ctx, strings.TrimSpace(string(out)), a, message, ours, theirs)
	if err != nil {
		return "", fmt.Errorf("resolved merge of %s and %s: %w", ours, theirs, err)
	}
	return c, nil
}
