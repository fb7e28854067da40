package worktree

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Author is the identity written as both author and committer of the
// commits cadre makes, e.g. {Name: "/root/coder_a", Email: "coder_a@cadre.local"}.
// A zero When means the current time.
type Author struct {
	Name  string
	Email string
	When  time.Time
}

// env returns the GIT_AUTHOR_* and GIT_COMMITTER_* variables for a.
func (a Author) env() ([]string, error) {
	if strings.TrimSpace(a.Name) == "" {
		return nil, fmt.Errorf("%w: author name is empty", ErrInvalidName)
	}
	if strings.ContainsAny(a.Name+a.Email, "<>\n\x00") {
		return nil, fmt.Errorf("%w: author %q <%s> contains <, > or a newline", ErrInvalidName, a.Name, a.Email)
	}
	env := []string{
		"GIT_AUTHOR_NAME=" + a.Name, "GIT_AUTHOR_EMAIL=" + a.Email,
		"GIT_COMMITTER_NAME=" + a.Name, "GIT_COMMITTER_EMAIL=" + a.Email,
	}
	if !a.When.IsZero() {
		d := fmt.Sprintf("%d %s", a.When.Unix(), a.When.Format("-0700"))
		env = append(env, "GIT_AUTHOR_DATE="+d, "GIT_COMMITTER_DATE="+d)
	}
	return env, nil
}

// Snapshot stages everything in the linked worktree w (additions,
// modifications, deletions and untracked files that are not ignored) in the
// worktree's own index and commits it on w.Branch with author a. When nothing
// changed since the branch tip it returns the tip and changed=false and
// writes no commit. The user's work tree and index are not touched.
func (r *Repo) Snapshot(ctx context.Context, w *Worktree, a Author, message string) (commit string, changed bool, err error) {
	if w == nil {
		return "", false, fmt.Errorf("snapshot: nil worktree")
	}
	env, err := a.env()
	if err != nil {
		return "", false, fmt.Errorf("snapshot %s: %w", w.Path, err)
	}
	if message == "" {
		message = "cadre snapshot"
	}
	defer r.locks.lock(w.Branch)()

	// Fast path, one process: nothing changed (most turns) writes nothing,
	// so it needs no more than status to say so.
	if _, ok := r.checked.Load(w.Path); ok {
		if head, ok := r.unchanged(ctx, w); ok {
			return head, false, nil
		}
	}
	out, err := r.run(ctx, w.Path, "rev-parse", "--path-format=absolute", "--git-common-dir",
		"HEAD", "HEAD^{tree}", "--symbolic-full-name", "HEAD")
	if err != nil {
		return "", false, fmt.Errorf("snapshot %s: %w", w.Path, err)
	}
	lines := splitLines(out)
	if len(lines) != 4 {
		return "", false, fmt.Errorf("snapshot %s: unexpected rev-parse output %q", w.Path, out)
	}
	common, head, headTree, ref := lines[0], lines[1], lines[2], lines[3]
	if !samePath(common, r.commonDir) {
		return "", false, fmt.Errorf("snapshot %s: %w: its repository is %s", w.Path, ErrNotWorktree, filepath.Dir(common))
	}
	if want := "refs/heads/" + w.Branch; ref != want {
		return "", false, fmt.Errorf("snapshot %s: HEAD is %s, expected %s", w.Path, ref, want)
	}
	r.checked.Store(w.Path, true)
	if _, err := r.run(ctx, w.Path, "add", "--all"); err != nil {
		return "", false, fmt.Errorf("snapshot %s: %w", w.Path, err)
	}
	out, err = r.run(ctx, w.Path, "write-tree")
	if err != nil {
		return "", false, fmt.Errorf("snapshot %s: %w", w.Path, err)
	}
	tree := strings.TrimSpace(string(out))
	if tree == headTree {
		return head, false, nil
	}
	out, err = r.git.Run(ctx, w.Path, env, strings.NewReader(message), "commit-tree", tree, "-p", head, "-F", "-")
	if err != nil {
		return "", false, fmt.Errorf("snapshot %s: %w", w.Path, err)
	}
	commit = strings.TrimSpace(string(out))
	if _, err := r.run(ctx, w.Path, "update-ref", "-m", "cadre: snapshot", ref, commit, head); err != nil {
		return "", false, fmt.Errorf("snapshot %s: %w", w.Path, refUpdateError(err))
	}
	return commit, true, nil
}

// unchanged reports whether w's files are exactly its branch tip's, with
// the tip: `git status --porcelain=v2 --branch` prints the head and no
// entry. Any doubt (another branch, a detached HEAD, an error) says no, and
// the full snapshot decides.
func (r *Repo) unchanged(ctx context.Context, w *Worktree) (string, bool) {
	out, err := r.run(ctx, w.Path, "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all")
	if err != nil {
		return "", false
	}
	var oid, branch string
	for _, rec := range splitNUL(out) {
		switch {
		case strings.HasPrefix(rec, "# branch.oid "):
			oid = strings.TrimPrefix(rec, "# branch.oid ")
		case strings.HasPrefix(rec, "# branch.head "):
			branch = strings.TrimPrefix(rec, "# branch.head ")
		case strings.HasPrefix(rec, "#"):
		default:
			return "", false // a change, an untracked file, a conflict
		}
	}
	if branch != w.Branch || !isFullHash(oid) {
		return "", false
	}
	return oid, true
}

// Diff returns the unified diff from base to head (two revisions, compared
// tree to tree), with a/ and b/ prefixes and without colour or external diff
// drivers.
func (r *Repo) Diff(ctx context.Context, base, head string) (string, error) {
	if err := checkRev(base); err != nil {
		return "", fmt.Errorf("diff: %w", err)
	}
	if err := checkRev(head); err != nil {
		return "", fmt.Errorf("diff: %w", err)
	}
	out, err := r.run(ctx, r.root, "diff", "--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/",
		base, head, "--")
	if err != nil {
		return "", fmt.Errorf("diff %s..%s: %w", base, head, err)
	}
	return string(out), nil
}

// ChangedFiles returns the paths that differ between base and head; a
// renamed file appears under both names.
func (r *Repo) ChangedFiles(ctx context.Context, base, head string) ([]string, error) {
	if err := checkRev(base); err != nil {
		return nil, fmt.Errorf("changed files: %w", err)
	}
	if err := checkRev(head); err != nil {
		return nil, fmt.Errorf("changed files: %w", err)
	}
	out, err := r.run(ctx, r.root, "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", base, head, "--")
	if err != nil {
		return nil, fmt.Errorf("changed files %s..%s: %w", base, head, err)
	}
	return splitNUL(out), nil
}

func splitNUL(b []byte) []string {
	var out []string
	for _, f := range bytes.Split(b, []byte{0}) {
		if len(f) > 0 {
			out = append(out, string(f))
		}
	}
	return out
}
