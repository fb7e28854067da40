package tools

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Limits of list_files.
const (
	maxListEntries = 500
	defaultDepth   = 2
)

func listFiles(ctx context.Context, root string, a listFilesArgs) (Result, error) {
	w, err := openWorktree(root)
	if err != nil {
		return Result{}, err
	}
	defer w.Close()
	path := a.Path
	if path == "" {
		path = "."
	}
	depth := a.Depth
	if depth < 1 {
		depth = defaultDepth
	}
	rel, err := w.path(path, true)
	if err != nil {
		return Result{}, err
	}
	fi, err := w.r.Stat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return Result{}, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", path, rootErr(err))
	}
	if !fi.IsDir() {
		return Result{}, fmt.Errorf("%s is a file, not a directory; use read_file", path)
	}
	l := &lister{w: w, ctx: ctx, depth: depth}
	if err := l.dir(rel, 1); err != nil && !errors.Is(err, errListFull) {
		return Result{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(l.lines) == 0 {
		return Result{Output: "(empty directory)"}, nil
	}
	out := strings.Join(l.lines, "\n")
	if l.full {
		out += fmt.Sprintf("\n... stopped at %d entries; list a subdirectory or use a smaller depth", maxListEntries)
	}
	return Result{Output: out}, nil
}

var errListFull = errors.New("listing full")

type lister struct {
	w     *worktree
	ctx   context.Context
	depth int
	lines []string
	full  bool
}

// readDir lists a directory sorted by name, without .git.
func (l *lister) readDir(rel string) ([]fs.DirEntry, error) {
	f, err := l.w.r.Open(rel)
	if err != nil {
		return nil, rootErr(err)
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	ents = slices.DeleteFunc(ents, func(e fs.DirEntry) bool { return e.Name() == ".git" })
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, nil
}

func (l *lister) dir(rel string, level int) error {
	if err := l.ctx.Err(); err != nil {
		return err
	}
	ents, err := l.readDir(rel)
	if err != nil {
		return err
	}
	indent := strings.Repeat("  ", level-1)
	for _, e := range ents {
		if len(l.lines) == maxListEntries {
			l.full = true
			return errListFull
		}
		child := joinRel(rel, e.Name())
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, err := l.w.r.Readlink(child)
			if err != nil {
				target = "?"
			}
			l.lines = append(l.lines, indent+e.Name()+" -> "+target)
		case e.IsDir():
			if level >= l.depth {
				line := indent + e.Name() + "/"
				if sub, err := l.readDir(child); err == nil && len(sub) > 0 {
					noun := "entries"
					if len(sub) == 1 {
						noun = "entry"
					}
					line += fmt.Sprintf(" (%d %s)", len(sub), noun)
				}
				l.lines = append(l.lines, line)
				continue
			}
			l.lines = append(l.lines, indent+e.Name()+"/")
			if err := l.dir(child, level+1); err != nil {
				return err
			}
		default:
			l.lines = append(l.lines, indent+e.Name())
		}
	}
	return nil
}
