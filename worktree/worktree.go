package worktree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Worktree is a linked worktree of the repository, checked out on Branch.
type Worktree struct {
	Path   string // absolute directory
	Branch string // short branch name, e.g. cadre/r-1/root-coder_a
	Base   string // commit it was created from (or asked to resume from)
}

// Info describes one entry of `git worktree list`.
type Info struct {
	Path           string
	Head           string // commit; "" for a bare entry or an unborn branch
	Branch         string // short name; "" when detached
	Main           bool   // the main work tree (first entry)
	Detached       bool
	Bare           bool
	Locked         bool
	LockReason     string
	Prunable       bool // its directory is gone; `git worktree prune` drops it
	PrunableReason string
}

// List returns every worktree of the repository, the main one first.
func (r *Repo) List(ctx context.Context) ([]Info, error) {
	r.wtMu.RLock()
	defer r.wtMu.RUnlock()
	return r.list(ctx)
}

func (r *Repo) list(ctx context.Context) ([]Info, error) {
	out, err := r.run(ctx, r.root, "worktree", "list", "--porcelain", "-z")
	if err != nil {
		return nil, fmt.Errorf("list worktrees: %w", err)
	}
	infos, err := parseWorktreeList(out)
	if err != nil {
		return nil, fmt.Errorf("list worktrees: %w", err)
	}
	return infos, nil
}

// parseWorktreeList parses `git worktree list --porcelain -z`: records of
// NUL-terminated "key value" fields, each record ended by an empty field.
func parseWorktreeList(out []byte) ([]Info, error) {
	var infos []Info
	var cur *Info
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) == 0 {
			cur = nil
			continue
		}
		key, val, _ := strings.Cut(string(f), " ")
		if key == "worktree" {
			infos = append(infos, Info{Path: val, Main: len(infos) == 0})
			cur = &infos[len(infos)-1]
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("field %q outside a worktree record", f)
		}
		switch key {
		case "HEAD":
			cur.Head = val
		case "branch":
			cur.Branch = strings.TrimPrefix(val, "refs/heads/")
		case "detached":
			cur.Detached = true
		case "bare":
			cur.Bare = true
		case "locked":
			cur.Locked, cur.LockReason = true, val
		case "prunable":
			cur.Prunable, cur.PrunableReason = true, val
		}
	}
	return infos, nil
}

// Add creates a linked worktree at dir on a new branch started at commit.
// If the branch already exists (a resumed run) it is checked out as it is,
// and commit only becomes Base. If dir already is a worktree of this
// repository on branch, Add returns it unchanged. A branch checked out in
// another worktree fails with ErrBranchInUse.
func (r *Repo) Add(ctx context.Context, dir, branch, commit string) (*Worktree, error) {
	if err := checkBranch(branch); err != nil {
		return nil, fmt.Errorf("create worktree %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("create worktree %s: %w", dir, err)
	}
	defer r.locks.lock(branch)()
	r.wtMu.Lock()
	defer r.wtMu.Unlock()

	var base string
	if commit != "" {
		if base, err = r.ResolveCommit(ctx, commit); err != nil {
			return nil, fmt.Errorf("create worktree %s: %w", abs, err)
		}
	}
	infos, err := r.list(ctx)
	if err != nil {
		return nil, fmt.Errorf("create worktree %s: %w", abs, err)
	}
	pruned := false
	for _, in := range infos {
		if in.Prunable {
			if !pruned {
				if _, err := r.run(ctx, r.root, "worktree", "prune"); err != nil {
					return nil, fmt.Errorf("create worktree %s: %w", abs, err)
				}
				pruned = true
			}
			continue
		}
		same := samePath(in.Path, abs)
		switch {
		case same && in.Main:
			return nil, fmt.Errorf("create worktree %s: it is the main work tree", abs)
		case same && in.Branch == branch:
			if base == "" {
				base = in.Head
			}
			return &Worktree{Path: abs, Branch: branch, Base: base}, nil
		case same:
			return nil, fmt.Errorf("create worktree %s: already a worktree on %s, not on %s", abs, describeHead(in), branch)
		case in.Branch == branch:
			return nil, fmt.Errorf("create worktree %s: %w: %s is checked out at %s", abs, ErrBranchInUse, branch, in.Path)
		}
	}

	tip, exists, err := r.branchTip(ctx, branch)
	if err != nil {
		return nil, fmt.Errorf("create worktree %s: %w", abs, err)
	}
	if exists {
		if base == "" {
			base = tip
		}
		_, err = r.run(ctx, r.root, "worktree", "add", "--quiet", "--end-of-options", abs, branch)
	} else {
		if base == "" {
			return nil, fmt.Errorf("create worktree %s: %w: branch %s does not exist and no commit was given", abs, ErrNoBranch, branch)
		}
		_, err = r.run(ctx, r.root, "worktree", "add", "--quiet", "--no-track", "-b", branch, "--end-of-options", abs, base)
	}
	if err != nil {
		return nil, fmt.Errorf("create worktree %s: %w", abs, err)
	}
	return &Worktree{Path: abs, Branch: branch, Base: base}, nil
}

func describeHead(in Info) string {
	if in.Branch != "" {
		return "branch " + in.Branch
	}
	return "a detached HEAD"
}

// Remove deletes the linked worktree at dir (discarding uncommitted changes)
// and prunes stale worktree records. The branch is never deleted. A missing
// dir is not an error; an existing dir that is not a linked worktree of this
// repository fails with ErrNotWorktree and is left alone.
func (r *Repo) Remove(ctx context.Context, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("remove worktree %s: %w", dir, err)
	}
	r.wtMu.Lock()
	defer r.wtMu.Unlock()
	infos, err := r.list(ctx)
	if err != nil {
		return fmt.Errorf("remove worktree %s: %w", abs, err)
	}
	_, statErr := os.Stat(abs)
	missing := errors.Is(statErr, fs.ErrNotExist)
	var found *Info
	for i := range infos {
		if samePath(infos[i].Path, abs) {
			found = &infos[i]
			break
		}
	}
	switch {
	case found != nil && found.Main:
		return fmt.Errorf("remove worktree %s: %w: it is the main work tree", abs, ErrNotWorktree)
	case found != nil && !missing:
		if _, err := r.run(ctx, r.root, "worktree", "remove", "--force", "--end-of-options", found.Path); err != nil {
			return fmt.Errorf("remove worktree %s: %w", abs, err)
		}
	case found == nil && !missing:
		return fmt.Errorf("remove worktree %s: %w; refusing to delete it", abs, ErrNotWorktree)
	}
	if _, err := r.run(ctx, r.root, "worktree", "prune"); err != nil {
		return fmt.Errorf("remove worktree %s: %w", abs, err)
	}
	return nil
}

// samePath reports whether a and b name the same directory, following
// symbolic links when both exist.
func samePath(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if a == b {
		return true
	}
	ra, errA := filepath.EvalSymlinks(a)
	rb, errB := filepath.EvalSymlinks(b)
	return errA == nil && errB == nil && ra == rb
}
