package worktree

import (
	"github.com/cadre-dev/cadre/messaging"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	formatcfg "github.com/go-git/go-git/v5/plumbing/format/config"
)

// Repo is the user's repository as seen from one of its work trees (usually
// the main one). It is safe for concurrent use.
type Repo struct {
	root      string // top-level directory of the opened work tree
	gitDir    string // absolute git dir of that work tree
	commonDir string // absolute common git dir (shared by all worktrees)
	git       Git

	ggMu  sync.Mutex // go-git's Repository is not documented as goroutine-safe
	gg    *gogit.Repository
	ggErr error // why gg is nil

	locks keyedMutex
	// wtMu serialises changes to the set of worktrees (git reads every
	// worktree's metadata while adding one and fails on a half-written
	// entry) against each other and against listing.
	wtMu sync.RWMutex
	// checked holds the worktree paths a full snapshot found to be this
	// repository's on their expected branch; later snapshots of them may
	// take the one-process path when nothing changed.
	checked sync.Map
}

// Option configures Open.
type Option func(*Repo)

// WithGit replaces the git CLI runner (ExecGit by default).
func WithGit(g Git) Option { return func(r *Repo) { r.git = g } }

// Open validates path and returns the repository whose work tree contains
// it. path may be any directory inside the work tree; Root is its top level.
// Errors wrap ErrNotFound, ErrNotRepo, ErrBareRepo or ErrNoCommits.
func Open(ctx context.Context, path string, opts ...Option) (*Repo, error) {
	r := &Repo{git: ExecGit{}}
	for _, o := range opts {
		o(r)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", path, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("open repository %s: %w", abs, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("open repository %s: %w", abs, err)
	case !st.IsDir():
		return nil, fmt.Errorf("open repository %s: %w: not a directory", abs, ErrNotRepo)
	}

	out, err := r.git.Run(ctx, abs, nil, nil, "rev-parse", "--path-format=absolute",
		"--show-toplevel", "--absolute-git-dir", "--git-common-dir")
	if err != nil {
		return nil, r.classifyOpenError(ctx, abs, err)
	}
	lines := splitLines(out)
	if len(lines) != 3 {
		return nil, fmt.Errorf("open repository %s: unexpected rev-parse output %q", abs, out)
	}
	r.root, r.gitDir, r.commonDir = lines[0], lines[1], lines[2]

	worktreeConfig, err := hasWorktreeConfig(filepath.Join(r.commonDir, "config"))
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", r.root, err)
	}
	if worktreeConfig {
		r.ggErr = fmt.Errorf("open repository %s in process: %w; using the git CLI instead", r.root, ErrWorktreeConfig)
	} else {
		gg, err := gogit.PlainOpenWithOptions(r.root, &gogit.PlainOpenOptions{EnableDotGitCommonDir: true})
		if err != nil {
			r.ggErr = fmt.Errorf("open repository %s in process with go-git: %w; using the git CLI instead", r.root, err)
		} else {
			r.gg = gg
		}
	}

	if _, _, err := r.Head(ctx); err != nil {
		return nil, fmt.Errorf("open repository %s: %w", r.root, err)
	}
	return r, nil
}

// classifyOpenError explains why rev-parse --show-toplevel failed in dir.
func (r *Repo) classifyOpenError(ctx context.Context, dir string, cause error) error {
	out, err := r.git.Run(ctx, dir, nil, nil, "rev-parse", "--is-bare-repository", "--is-inside-work-tree")
	if err != nil {
		var ce *CommandError
		if errors.As(err, &ce) && strings.Contains(ce.Stderr, "not a git repository") {
			return fmt.Errorf("open repository %s: %w", dir, ErrNotRepo)
		}
		return fmt.Errorf("open repository %s: %w", dir, cause)
	}
	lines := splitLines(out)
	if len(lines) >= 1 && lines[0] == "true" {
		return fmt.Errorf("open repository %s: %w: cadre needs a work tree", dir, ErrBareRepo)
	}
	if len(lines) >= 2 && lines[1] == "false" {
		return fmt.Errorf("open repository %s: %w: the path is inside the git directory", dir, ErrNotRepo)
	}
	return fmt.Errorf("open repository %s: %w", dir, cause)
}

// hasWorktreeConfig reports whether the config file at path sets
// extensions.worktreeConfig to true.
func hasWorktreeConfig(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read git config: %w", err)
	}
	defer f.Close()
	cfg := formatcfg.New()
	if err := formatcfg.NewDecoder(f).Decode(cfg); err != nil {
		return false, fmt.Errorf("parse git config %s: %w", path, err)
	}
	for _, s := range cfg.Sections {
		if !strings.EqualFold(s.Name, "extensions") {
			continue
		}
		for _, o := range s.Options {
			if strings.EqualFold(o.Key, "worktreeConfig") {
				switch strings.ToLower(strings.TrimSpace(o.Value)) {
				case "false", "no", "off", "0":
					return false, nil
				}
				return true, nil
			}
		}
	}
	return false, nil
}

// Root returns the top-level directory of the opened work tree.
func (r *Repo) Root() string { return r.root }

// CommonDir returns the git directory shared by all worktrees.
func (r *Repo) CommonDir() string { return r.commonDir }

// InProcess returns nil when reads go through go-git, or the reason they go
// through the git CLI (wrapping ErrWorktreeConfig when that extension is set).
func (r *Repo) InProcess() error { return r.ggErr }

func (r *Repo) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return r.git.Run(ctx, dir, nil, nil, args...)
}

// Head returns the commit checked out in the opened work tree and its branch
// ("" when HEAD is detached). ErrNoCommits when HEAD is unborn.
func (r *Repo) Head(ctx context.Context) (commit, branch string, err error) {
	if r.gg != nil {
		r.ggMu.Lock()
		defer r.ggMu.Unlock()
		sym, err := r.gg.Storer.Reference(plumbing.HEAD)
		if err != nil {
			return "", "", fmt.Errorf("read HEAD: %w", err)
		}
		ref, err := r.gg.Reference(plumbing.HEAD, true)
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			return "", "", fmt.Errorf("read HEAD: %w", ErrNoCommits)
		}
		if err != nil {
			return "", "", fmt.Errorf("read HEAD: %w", err)
		}
		if sym.Type() == plumbing.SymbolicReference && sym.Target().IsBranch() {
			branch = sym.Target().Short()
		}
		return ref.Hash().String(), branch, nil
	}
	out, err := r.run(ctx, r.root, "rev-parse", "-q", "--verify", "HEAD^{commit}")
	if exitCode(err) == 1 {
		return "", "", fmt.Errorf("read HEAD: %w", ErrNoCommits)
	}
	if err != nil {
		return "", "", fmt.Errorf("read HEAD: %w", err)
	}
	commit = strings.TrimSpace(string(out))
	out, err = r.run(ctx, r.root, "symbolic-ref", "-q", "HEAD")
	switch {
	case exitCode(err) == 1: // detached
	case err != nil:
		return "", "", fmt.Errorf("read HEAD: %w", err)
	default:
		branch = strings.TrimPrefix(strings.TrimSpace(string(out)), "refs/heads/")
	}
	return commit, branch, nil
}

// Dirty reports the modified, staged and untracked (not ignored) paths of the
// opened work tree. It never writes the user's index (--no-optional-locks).
func (r *Repo) Dirty(ctx context.Context) (bool, []string, error) {
	out, err := r.run(ctx, r.root, "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all")
	if err != nil {
		return false, nil, fmt.Errorf("status of %s: %w", r.root, err)
	}
	var paths []string
	fields := bytes.Split(out, []byte{0})
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if len(f) < 4 {
			continue
		}
		paths = append(paths, string(f[3:]))
		if f[0] == 'R' || f[0] == 'C' {
			i++ // the original path follows a rename or copy
		}
	}
	sort.Strings(paths)
	return len(paths) > 0, paths, nil
}

// ResolveCommit returns the full id of the commit that rev names (any
// revision syntax git accepts; tags are peeled).
func (r *Repo) ResolveCommit(ctx context.Context, rev string) (string, error) {
	if err := checkRev(rev); err != nil {
		return "", err
	}
	if r.gg != nil && (isFullHash(rev) || rev == "HEAD" || strings.HasPrefix(rev, "refs/")) {
		if c, err := r.resolveInProcess(rev); err == nil {
			return c, nil
		}
		// fall through: the CLI gives the authoritative answer and error
	}
	out, err := r.run(ctx, r.root, "rev-parse", "-q", "--verify", "--end-of-options", rev+"^{commit}")
	if exitCode(err) == 1 {
		return "", fmt.Errorf("resolve %q: %w", rev, ErrUnknownRevision)
	}
	if err != nil {
		return "", fmt.Errorf("resolve %q: %w", rev, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (r *Repo) resolveInProcess(rev string) (string, error) {
	r.ggMu.Lock()
	defer r.ggMu.Unlock()
	var h plumbing.Hash
	if isFullHash(rev) {
		h = plumbing.NewHash(rev)
	} else {
		ref, err := r.gg.Reference(plumbing.ReferenceName(rev), true)
		if err != nil {
			return "", err
		}
		h = ref.Hash()
	}
	if c, err := r.gg.CommitObject(h); err == nil {
		return c.Hash.String(), nil
	}
	tag, err := r.gg.TagObject(h)
	if err != nil {
		return "", err
	}
	c, err := tag.Commit()
	if err != nil {
		return "", err
	}
	return c.Hash.String(), nil
}

// branchTip returns the commit of refs/heads/<name> and whether it exists.
func (r *Repo) branchTip(ctx context.Context, name string) (string, bool, error) {
	ref := "refs/heads/" + name
	if r.gg != nil {
		r.ggMu.Lock()
		got, err := r.gg.Reference(plumbing.ReferenceName(ref), true)
		r.ggMu.Unlock()
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			return "", false, nil
		}
		if err == nil {
			return got.Hash().String(), true, nil
		}
	}
	out, err := r.run(ctx, r.root, "rev-parse", "-q", "--verify", ref)
	if exitCode(err) == 1 {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read branch %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), true, nil
}

// CreateBranch creates branch name at commit. It is a no-op when the branch
// already points there and fails with ErrBranchExists when it points elsewhere.
func (r *Repo) CreateBranch(ctx context.Context, name, commit string) error {
	if err := checkBranch(name); err != nil {
		return err
	}
	c, err := r.ResolveCommit(ctx, commit)
	if err != nil {
		return fmt.Errorf("create branch %s: %w", name, err)
	}
	defer r.locks.lock(name)()
	tip, ok, err := r.branchTip(ctx, name)
	if err != nil {
		return fmt.Errorf("create branch %s: %w", name, err)
	}
	if ok {
		if tip == c {
			return nil
		}
		return fmt.Errorf("create branch %s at %s: %w at %s", name, messaging.ShortCommit(c), ErrBranchExists, messaging.ShortCommit(tip))
	}
	if _, err := r.run(ctx, r.root, "update-ref", "-m", "cadre: create branch", "refs/heads/"+name, c, ""); err != nil {
		return fmt.Errorf("create branch %s: %w", name, err)
	}
	return nil
}

// Archive copies the tip of branch to refs/cadre/archive/<runID>/<branch> so
// that the branch may be deleted without losing its commits. It returns the
// archive ref.
func (r *Repo) Archive(ctx context.Context, branch, runID string) (string, error) {
	if err := checkBranch(branch); err != nil {
		return "", err
	}
	ref := "refs/cadre/archive/" + runID + "/" + branch
	if runID == "" || strings.Contains(runID, "/") || plumbing.ReferenceName(ref).Validate() != nil {
		return "", fmt.Errorf("archive %s: %w: run id %q", branch, ErrInvalidName, runID)
	}
	defer r.locks.lock(branch)()
	tip, ok, err := r.branchTip(ctx, branch)
	if err != nil {
		return "", fmt.Errorf("archive %s: %w", branch, err)
	}
	if !ok {
		return "", fmt.Errorf("archive %s: %w", branch, ErrNoBranch)
	}
	if _, err := r.run(ctx, r.root, "update-ref", "-m", "cadre: archive", ref, tip); err != nil {
		return "", fmt.Errorf("archive %s: %w", branch, err)
	}
	return ref, nil
}

// Merged reports whether commit is reachable from a branch (other than the
// ones in exclude) or from an archive ref under refs/cadre/archive/.
func (r *Repo) Merged(ctx context.Context, commit string, exclude ...string) (bool, error) {
	c, err := r.ResolveCommit(ctx, commit)
	if err != nil {
		return false, fmt.Errorf("check merged %s: %w", commit, err)
	}
	out, err := r.run(ctx, r.root, "for-each-ref", "--format=%(refname)", "--contains", c, "refs/heads/", "refs/cadre/archive/")
	if err != nil {
		return false, fmt.Errorf("check merged %s: %w", commit, err)
	}
	skip := make(map[string]bool, len(exclude))
	for _, b := range exclude {
		skip["refs/heads/"+b] = true
	}
	for _, ref := range splitLines(out) {
		if !skip[ref] {
			return true, nil
		}
	}
	return false, nil
}

// DeleteBranch deletes a branch whose tip is merged into another branch or
// archived (ErrUnmerged otherwise) and that no worktree has checked out
// (ErrBranchInUse). Deleting a missing branch is a no-op.
func (r *Repo) DeleteBranch(ctx context.Context, name string) error {
	if err := checkBranch(name); err != nil {
		return err
	}
	defer r.locks.lock(name)()
	tip, ok, err := r.branchTip(ctx, name)
	if err != nil {
		return fmt.Errorf("delete branch %s: %w", name, err)
	}
	if !ok {
		return nil
	}
	if err := r.checkNotCheckedOut(ctx, name); err != nil {
		return fmt.Errorf("delete branch %s: %w", name, err)
	}
	merged, err := r.Merged(ctx, tip, name)
	if err != nil {
		return fmt.Errorf("delete branch %s: %w", name, err)
	}
	if !merged {
		return fmt.Errorf("delete branch %s: %w: archive it first", name, ErrUnmerged)
	}
	if _, err := r.run(ctx, r.root, "update-ref", "-m", "cadre: delete branch", "-d", "refs/heads/"+name, tip); err != nil {
		return fmt.Errorf("delete branch %s: %w", name, err)
	}
	return nil
}

// checkNotCheckedOut fails with ErrBranchInUse if any worktree has branch.
func (r *Repo) checkNotCheckedOut(ctx context.Context, branch string) error {
	infos, err := r.List(ctx)
	if err != nil {
		return err
	}
	for _, in := range infos {
		if in.Branch == branch && !in.Prunable {
			return fmt.Errorf("%w: %s is checked out at %s", ErrBranchInUse, branch, in.Path)
		}
	}
	return nil
}

// checkBranch rejects names git would not accept as a branch or that could be
// read as an option.
func checkBranch(name string) error {
	if name == "" || strings.HasPrefix(name, "-") || name == "HEAD" ||
		plumbing.NewBranchReferenceName(name).Validate() != nil {
		return fmt.Errorf("%w: branch %q", ErrInvalidName, name)
	}
	return nil
}

func checkRev(rev string) error {
	if rev == "" || strings.HasPrefix(rev, "-") || strings.ContainsAny(rev, "\x00\n") {
		return fmt.Errorf("%w: revision %q", ErrInvalidName, rev)
	}
	return nil
}

func isFullHash(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func splitLines(b []byte) []string {
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// keyedMutex serialises operations on the same key (a branch name) within
// the process while letting different keys proceed in parallel.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

// lock locks every distinct key in a fixed order and returns the unlock func.
func (k *keyedMutex) lock(keys ...string) func() {
	ks := append([]string(nil), keys...)
	sort.Strings(ks)
	var held []*sync.Mutex
	for i, key := range ks {
		if i > 0 && ks[i-1] == key {
			continue
		}
		k.mu.Lock()
		if k.m == nil {
			k.m = make(map[string]*sync.Mutex)
		}
		m := k.m[key]
		if m == nil {
			m = new(sync.Mutex)
			k.m[key] = m
		}
		k.mu.Unlock()
		m.Lock()
		held = append(held, m)
	}
	return func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i].Unlock()
		}
	}
}
