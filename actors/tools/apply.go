package tools

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
)

// maxPatchFile bounds the size of a file apply_patch will load.
const maxPatchFile = 32 << 20

// ApplyPatch parses text (see ParsePatch) and applies it to the worktree at
// root, all or nothing. Output lists one line per file operation:
// "A path", "M path", "M old -> new" or "D path".
func ApplyPatch(root, text string) (Result, error) {
	p, err := ParsePatch(text)
	if err != nil {
		return Result{}, err
	}
	return p.Apply(root)
}

// fileState is the planned content of one path: what was on disk, and what
// the patch leaves there.
type fileState struct {
	rel        string // real worktree-relative path
	origExists bool
	origData   []byte
	origMode   fs.FileMode
	origLink   string // target, when the path was a symlink (deletes only)
	exists     bool
	data       []byte
	mode       fs.FileMode
}

func (s *fileState) changed() bool {
	if s.exists != s.origExists {
		return true
	}
	return s.exists && (s.mode != s.origMode || !bytes.Equal(s.data, s.origData))
}

// plan computes every file's new content in memory before anything is
// written, so later operations of a patch see earlier ones.
type plan struct {
	w     *worktree
	files map[string]*fileState
	order []string
}

// Apply applies the patch to the worktree at root, all or nothing: every
// file's new content is computed first, and nothing is written if any
// operation fails. Errors wrap ErrPatch or ErrOutsideRoot.
func (p *Patch) Apply(root string) (Result, error) {
	w, err := openWorktree(root)
	if err != nil {
		return Result{}, err
	}
	defer w.Close()
	pl := &plan{w: w, files: map[string]*fileState{}}
	var summary []string
	for i := range p.Ops {
		line, err := pl.op(&p.Ops[i])
		if err != nil {
			return Result{}, fmt.Errorf("%w (no file was changed)", err)
		}
		summary = append(summary, line)
	}
	changed, err := pl.commit()
	if err != nil {
		return Result{}, err
	}
	return Result{Output: strings.Join(summary, "\n"), Changed: changed}, nil
}

// load returns the planned state of a path, reading it from disk the first
// time. followLast is false only for deletes, which remove a link itself.
func (pl *plan) load(op, path string, followLast bool) (*fileState, string, error) {
	c, err := pl.w.clean(path)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", op, path, err)
	}
	if c == "." {
		return nil, "", fmt.Errorf("%w: %s %s: the path names the worktree itself, not a file", ErrPatch, op, path)
	}
	rel, err := pl.w.resolve(c, followLast)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", op, path, err)
	}
	if s, ok := pl.files[rel]; ok {
		return s, c, nil
	}
	s := &fileState{rel: rel}
	fi, err := pl.w.r.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case errors.Is(err, syscall.ENOTDIR):
		return nil, "", fmt.Errorf("%w: %s %s: a parent of the path is a file, not a directory", ErrPatch, op, path)
	case err != nil:
		return nil, "", fmt.Errorf("%s %s: %w", op, path, rootErr(err))
	case fi.IsDir():
		return nil, "", fmt.Errorf("%w: %s %s: it is a directory", ErrPatch, op, path)
	case fi.Mode()&fs.ModeSymlink != 0:
		// Only a delete reaches here: it removes the link, not its target.
		target, err := pl.w.r.Readlink(rel)
		if err != nil {
			return nil, "", fmt.Errorf("%s %s: %w", op, path, rootErr(err))
		}
		s.origExists, s.origMode, s.origLink = true, fi.Mode(), target
	case !fi.Mode().IsRegular():
		return nil, "", fmt.Errorf("%w: %s %s: not a regular file", ErrPatch, op, path)
	case fi.Size() > maxPatchFile:
		return nil, "", fmt.Errorf("%w: %s %s: file is larger than %d MiB", ErrPatch, op, path, maxPatchFile>>20)
	default:
		data, err := pl.w.r.ReadFile(rel)
		if err != nil {
			return nil, "", fmt.Errorf("%s %s: %w", op, path, rootErr(err))
		}
		s.origExists, s.origData, s.origMode = true, data, fi.Mode().Perm()
	}
	s.exists, s.data, s.mode = s.origExists, s.origData, s.origMode
	pl.files[rel] = s
	pl.order = append(pl.order, rel)
	return s, c, nil
}

// op plans one file operation and returns its summary line.
func (pl *plan) op(op *FileOp) (string, error) {
	switch op.Kind {
	case OpAdd:
		s, c, err := pl.load("add", op.Path, true)
		if err != nil {
			return "", err
		}
		if s.exists {
			return "", fmt.Errorf("%w: add %s (patch line %d): the file already exists; use \"*** Update File:\" to change it", ErrPatch, op.Path, op.Line)
		}
		s.exists, s.data, s.mode = true, []byte(op.Contents), 0o644
		return "A " + c, nil
	case OpDelete:
		s, c, err := pl.load("delete", op.Path, false)
		if err != nil {
			return "", err
		}
		if !s.exists {
			return "", fmt.Errorf("%w: delete %s (patch line %d): no such file", ErrPatch, op.Path, op.Line)
		}
		s.exists, s.data = false, nil
		return "D " + c, nil
	case OpUpdate:
		s, c, err := pl.load("update", op.Path, true)
		if err != nil {
			return "", err
		}
		if !s.exists {
			return "", fmt.Errorf("%w: update %s (patch line %d): no such file; use \"*** Add File:\" to create it", ErrPatch, op.Path, op.Line)
		}
		data, err := applyChunks(op.Path, s.data, op.Chunks)
		if err != nil {
			return "", err
		}
		if op.MoveTo == "" {
			s.data = data
			return "M " + c, nil
		}
		d, dc, err := pl.load("move", op.MoveTo, true)
		if err != nil {
			return "", err
		}
		if d == s {
			s.data = data
			return "M " + c, nil
		}
		if d.exists {
			return "", fmt.Errorf("%w: update %s (patch line %d): cannot move to %s: the file already exists", ErrPatch, op.Path, op.Line, op.MoveTo)
		}
		d.exists, d.data, d.mode = true, data, s.mode
		s.exists, s.data = false, nil
		return "M " + c + " -> " + dc, nil
	}
	return "", fmt.Errorf("%w: line %d: unknown operation %v", ErrPatch, op.Line, op.Kind)
}

// commit writes every changed file in the order first touched. If a write
// fails, the files already written are restored.
func (pl *plan) commit() ([]string, error) {
	var done []*fileState
	for _, rel := range pl.order {
		s := pl.files[rel]
		if !s.changed() {
			continue
		}
		var err error
		if s.exists {
			err = pl.w.writeFile(rel, s.data, s.mode)
		} else {
			err = rootErr(pl.w.r.Remove(rel))
		}
		if err != nil {
			rerr := pl.rollback(done)
			if rerr != nil {
				return nil, fmt.Errorf("write %s: %w; restoring earlier files also failed: %v", rel, err, rerr)
			}
			return nil, fmt.Errorf("write %s: %w (earlier files restored)", rel, err)
		}
		done = append(done, s)
	}
	changed := make([]string, len(done))
	for i, s := range done {
		changed[i] = s.rel
	}
	return changed, nil
}

func (pl *plan) rollback(done []*fileState) error {
	var errs []error
	for i := len(done) - 1; i >= 0; i-- {
		s := done[i]
		var err error
		switch {
		case s.origExists && s.origMode&fs.ModeSymlink != 0:
			err = pl.w.r.Symlink(s.origLink, s.rel)
		case s.origExists:
			err = pl.w.writeFile(s.rel, s.origData, s.origMode)
		default:
			err = pl.w.r.Remove(s.rel)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// applyChunks applies the hunks of one update to a file's content. Hunks are
// located in order, each after the previous one.
func applyChunks(path string, content []byte, chunks []Chunk) ([]byte, error) {
	text := string(content)
	sep := "\n"
	if strings.Contains(text, "\r\n") {
		sep = "\r\n"
		text = strings.ReplaceAll(text, "\r\n", "\n")
	}
	var lines []string
	trailingNL := true
	if text != "" {
		trailingNL = strings.HasSuffix(text, "\n")
		lines = strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	}
	type edit struct {
		at, n int
		repl  []string
	}
	var edits []edit
	cursor := 0
	for k := range chunks {
		ch := &chunks[k]
		for _, a := range ch.Anchors {
			idx := seek(lines, []string{a}, cursor, false)
			if idx < 0 {
				return nil, fmt.Errorf("%w: update %s: hunk %d (patch line %d): cannot find the \"@@\" line %q%s",
					ErrPatch, path, k+1, ch.Line, clip(a), where(cursor))
			}
			cursor = idx + 1
		}
		cl := ch.Lines
		old := ch.Old()
		var at int
		if len(old) == 0 {
			at = cursor
			if len(ch.Anchors) == 0 || ch.EOF {
				at = len(lines)
			}
		} else {
			at = seek(lines, old, cursor, ch.EOF)
			// Models often end a hunk with a blank context line the file
			// does not have; retry without trailing blank context lines.
			for at < 0 && len(cl) > 0 && cl[len(cl)-1].Op == " " && strings.TrimSpace(cl[len(cl)-1].Text) == "" {
				cl = cl[:len(cl)-1]
				old = old[:len(old)-1]
				if len(old) == 0 {
					break
				}
				at = seek(lines, old, cursor, ch.EOF)
			}
			if at < 0 {
				return nil, fmt.Errorf("%w: update %s: hunk %d (patch line %d): cannot find its %d context/removed lines%s, starting with %q; read the file again and resend the patch",
					ErrPatch, path, k+1, ch.Line, len(ch.Old()), where(cursor), clip(ch.Old()[0]))
			}
		}
		// Context lines keep the file's own text, so a whitespace-tolerant
		// match never rewrites lines the hunk did not change.
		var repl []string
		j := at
		for _, l := range cl {
			switch l.Op {
			case " ":
				repl = append(repl, lines[j])
				j++
			case "-":
				j++
			case "+":
				repl = append(repl, l.Text)
			}
		}
		edits = append(edits, edit{at: at, n: len(old), repl: repl})
		cursor = at + len(old)
	}
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		tail := append([]string(nil), lines[e.at+e.n:]...)
		lines = append(append(lines[:e.at], e.repl...), tail...)
	}
	if len(lines) == 0 {
		return []byte{}, nil
	}
	out := strings.Join(lines, sep)
	if trailingNL {
		out += sep
	}
	return []byte(out), nil
}

// where says from which line of the file a hunk was searched for.
func where(cursor int) string {
	if cursor == 0 {
		return " in the file"
	}
	return fmt.Sprintf(" after line %d of the file", cursor)
}

// seek finds pat in lines at or after start and returns its index, or -1.
// It tries an exact match first, then ignoring trailing whitespace, then
// ignoring leading and trailing whitespace, then also folding typographic
// punctuation to ASCII. With eof, each level first tries the end of the file.
func seek(lines, pat []string, start int, eof bool) int {
	if len(pat) == 0 {
		return start
	}
	if len(pat) > len(lines)-start {
		return -1
	}
	for _, norm := range normalizers {
		match := func(at int) bool {
			for k, p := range pat {
				if norm(lines[at+k]) != norm(p) {
					return false
				}
			}
			return true
		}
		if eof {
			if at := len(lines) - len(pat); at >= start && match(at) {
				return at
			}
		}
		for at := start; at+len(pat) <= len(lines); at++ {
			if match(at) {
				return at
			}
		}
	}
	return -1
}

var punct = strings.NewReplacer(
	"\u2018", "'", "\u2019", "'", "\u201a", "'", "\u201b", "'",
	"\u201c", "\"", "\u201d", "\"", "\u201e", "\"", "\u201f", "\"",
	"\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2014", "-", "\u2015", "-", "\u2212", "-",
	"\u00a0", " ", "\u2002", " ", "\u2003", " ", "\u2009", " ", "\u202f", " ",
	"\u2026", "...",
)

var normalizers = []func(string) string{
	func(s string) string { return s },
	func(s string) string { return strings.TrimRight(s, " \t\r") },
	strings.TrimSpace,
	func(s string) string { return strings.TrimSpace(punct.Replace(s)) },
}
