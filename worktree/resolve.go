package worktree

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// RestorePaths puts paths of the worktree w back as they are in commit: a
// path commit has is checked out from it, any other is removed. Paths are
// relative to the worktree and must stay inside it.
func (r *Repo) RestorePaths(ctx context.Context, w *Worktree, commit string, paths []string) error {
	if err := checkRev(commit); err != nil {
		return fmt.Errorf("restore paths: %w", err)
	}
	for _, p := range paths {
		clean := filepath.Clean(filepath.FromSlash(p))
		if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
			return fmt.Errorf("restore %s: path outside the worktree", p)
		}
		if _, err := r.run(ctx, w.Path, "cat-file", "-e", commit+":"+filepath.ToSlash(clean)); err == nil {
			if _, err := r.run(ctx, w.Path, "checkout", "-q", commit, "--", filepath.ToSlash(clean)); err != nil {
				return fmt.Errorf("restore %s from %s: %w", p, commit, err)
			}
			continue
		}
		if err := os.Remove(filepath.Join(w.Path, clean)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", p, err)
		}
	}
	return nil
}
