package tools

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxLinkDepth bounds how many symbolic links one path may pass through.
const maxLinkDepth = 40

// worktree is an open, confined view of one root directory.
type worktree struct {
	given string   // root as the caller spelled it
	real  string   // root with symbolic links resolved
	r     *os.Root // all I/O goes through it
}

func openWorktree(root string) (*worktree, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("worktree root %q is not an absolute path", root)
	}
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("worktree root: %w", err)
	}
	r, err := os.OpenRoot(real)
	if err != nil {
		return nil, fmt.Errorf("worktree root: %w", err)
	}
	return &worktree{given: filepath.Clean(root), real: real, r: r}, nil
}

func (w *worktree) Close() error { return w.r.Close() }

// abs is the absolute path of a real (already resolved) relative path.
func (w *worktree) abs(rel string) string { return filepath.Join(w.real, rel) }

// within reports target relative to base when target lies inside base.
func within(base, target string) (string, bool) {
	rel, err := filepath.Rel(base, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

func escapes(rel string) bool { return rel == ".." || strings.HasPrefix(rel, "../") }

// inGit reports whether any component of a slash-separated path is .git.
func inGit(rel string) bool {
	for part := range strings.SplitSeq(rel, "/") {
		if strings.EqualFold(part, ".git") {
			return true
		}
	}
	return false
}

// clean checks a path given by a model and returns it slash-separated,
// cleaned and relative to the root ("." for the root itself). It does not
// look at the disk; resolve does.
func (w *worktree) clean(p string) (string, error) {
	if p == "" {
		return "", errors.New("empty path")
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("path %q contains a NUL byte", p)
	}
	c := filepath.Clean(p)
	if filepath.IsAbs(c) {
		rel, ok := within(w.given, c)
		if !ok {
			rel, ok = within(w.real, c)
		}
		if !ok {
			return "", fmt.Errorf("%w: %q is an absolute path outside the worktree; use a relative path", ErrOutsideRoot, p)
		}
		c = rel
	}
	c = filepath.ToSlash(c)
	if escapes(c) {
		return "", fmt.Errorf("%w: %q climbs out of the worktree", ErrOutsideRoot, p)
	}
	if inGit(c) {
		return "", fmt.Errorf("%w: %q is inside .git, which tools may not touch", ErrOutsideRoot, p)
	}
	return c, nil
}

// resolve maps a cleaned relative path to the real relative path it names,
// replacing every symbolic link among the existing components by its target.
// A link whose target lies outside the root (or inside .git) is refused with
// ErrOutsideRoot. The last component is resolved only when followLast is
// set. Components that do not exist yet are kept as they are.
func (w *worktree) resolve(rel string, followLast bool) (string, error) {
	return w.resolveDepth(rel, rel, followLast, 0)
}

func (w *worktree) resolveDepth(orig, rel string, followLast bool, depth int) (string, error) {
	if depth > maxLinkDepth {
		return "", fmt.Errorf("%q: too many levels of symbolic links", orig)
	}
	if rel == "." {
		return ".", nil
	}
	parts := strings.Split(rel, "/")
	cur := "."
	for i, part := range parts {
		next := joinRel(cur, part)
		fi, err := os.Lstat(w.abs(next))
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return joinRel(next, parts[i+1:]...), nil
		}
		if err != nil {
			return "", fmt.Errorf("%q: %w", orig, err)
		}
		last := i == len(parts)-1
		if fi.Mode()&fs.ModeSymlink == 0 || (last && !followLast) {
			cur = next
			continue
		}
		link, err := os.Readlink(w.abs(next))
		if err != nil {
			return "", fmt.Errorf("%q: %w", orig, err)
		}
		var target string
		if filepath.IsAbs(link) {
			t, ok := within(w.real, filepath.Clean(link))
			if !ok {
				t, ok = within(w.given, filepath.Clean(link))
			}
			if !ok {
				return "", fmt.Errorf("%w: %q passes through symlink %s, which points to %s", ErrOutsideRoot, orig, next, link)
			}
			target = t
		} else {
			// cur holds no links, so resolving ".." in the target lexically
			// matches what the kernel does.
			target = filepath.ToSlash(filepath.Clean(filepath.Join(cur, link)))
			if escapes(target) {
				return "", fmt.Errorf("%w: %q passes through symlink %s, which points to %s", ErrOutsideRoot, orig, next, link)
			}
		}
		if inGit(target) {
			return "", fmt.Errorf("%w: %q passes through symlink %s into .git", ErrOutsideRoot, orig, next)
		}
		cur, err = w.resolveDepth(orig, target, true, depth+1)
		if err != nil {
			return "", err
		}
	}
	return cur, nil
}

func joinRel(base string, parts ...string) string {
	return filepath.ToSlash(filepath.Join(append([]string{base}, parts...)...))
}

// path cleans and resolves a model-supplied path in one step.
func (w *worktree) path(p string, followLast bool) (string, error) {
	c, err := w.clean(p)
	if err != nil {
		return "", err
	}
	return w.resolve(c, followLast)
}

// rootErr turns os.Root's refusal of an escaping path (possible only when
// the tree changed between resolve and use) into ErrOutsideRoot.
func rootErr(err error) error {
	if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
		return fmt.Errorf("%w: %v", ErrOutsideRoot, err)
	}
	return err
}

// writeFile replaces rel with data atomically (a temporary file renamed over
// it), creating parent directories, and sets mode on the result.
func (w *worktree) writeFile(rel string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(rel)
	if dir != "." {
		if err := w.r.MkdirAll(dir, 0o755); err != nil {
			return rootErr(err)
		}
	}
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	tmp := filepath.Join(dir, "."+filepath.Base(rel)+".cadre-"+hex.EncodeToString(suffix[:]))
	f, err := w.r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return rootErr(err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(mode)
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = rootErr(w.r.Rename(tmp, rel))
	}
	if werr != nil {
		_ = w.r.Remove(tmp)
		return werr
	}
	return nil
}
