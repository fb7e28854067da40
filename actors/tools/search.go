package tools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// Limits of search.
const (
	maxMatches       = 200
	maxMatchLine     = 300     // bytes shown of a matching line
	maxSearchFileLen = 8 << 20 // larger files are skipped
)

var errSearchFull = errors.New("search full")

// clearsMultiline finds a flag group that turns the m flag off, e.g. (?-m).
var clearsMultiline = regexp.MustCompile(`\(\?[a-zA-Z]*-[a-zA-Z]*m`)

func search(ctx context.Context, root string, a searchArgs) (Result, error) {
	re, err := regexp.Compile(a.Pattern)
	if err != nil {
		return Result{}, fmt.Errorf("%w: pattern %q is not a valid Go RE2 regular expression: %v", messaging.ErrInvalid, a.Pattern, err)
	}
	// A whole-file prefilter: a file where the pattern cannot match any line
	// is skipped without splitting it. (?m) makes ^ and $ match at line
	// boundaries, as they do when matching line by line; patterns whose
	// meaning would change (\A, \z, clearing the m flag) get no prefilter.
	var pre *regexp.Regexp
	if !strings.Contains(a.Pattern, `\A`) && !strings.Contains(a.Pattern, `\z`) && !clearsMultiline.MatchString(a.Pattern) {
		pre, _ = regexp.Compile("(?m)" + a.Pattern)
	}
	if a.Glob != "" {
		if _, err := path.Match(a.Glob, ""); err != nil {
			return Result{}, fmt.Errorf("%w: glob %q: %v", messaging.ErrInvalid, a.Glob, err)
		}
	}
	w, err := openWorktree(root)
	if err != nil {
		return Result{}, err
	}
	defer w.Close()
	start := a.Path
	if start == "" {
		start = "."
	}
	rel, err := w.path(start, true)
	if err != nil {
		return Result{}, err
	}
	if _, err := w.r.Stat(rel); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Result{}, fmt.Errorf("%s: %w", start, fs.ErrNotExist)
		}
		return Result{}, fmt.Errorf("%s: %w", start, rootErr(err))
	}
	s := &searcher{w: w, re: re, pre: pre, glob: a.Glob}
	fsys := w.r.FS()
	err = fs.WalkDir(fsys, rel, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == rel {
				return err
			}
			return nil // an unreadable entry below the start is skipped
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !s.wanted(p) {
			return nil
		}
		return s.file(fsys, p, d)
	})
	if err != nil && !errors.Is(err, errSearchFull) {
		return Result{}, fmt.Errorf("%s: %w", start, rootErr(err))
	}
	if len(s.lines) == 0 {
		return Result{Output: fmt.Sprintf("no matches for %q in %s", a.Pattern, start)}, nil
	}
	out := strings.Join(s.lines, "\n")
	if s.full {
		out += fmt.Sprintf("\n... stopped at %d matches; narrow the pattern, path or glob", maxMatches)
	}
	return Result{Output: out}, nil
}

type searcher struct {
	w     *worktree
	re    *regexp.Regexp
	pre   *regexp.Regexp
	glob  string
	lines []string
	full  bool
}

// wanted applies the glob: to the base name, or to the whole worktree
// relative path when the glob contains a '/'.
func (s *searcher) wanted(p string) bool {
	if s.glob == "" {
		return true
	}
	target := path.Base(p)
	if strings.Contains(s.glob, "/") {
		target = p
	}
	ok, _ := path.Match(s.glob, target)
	return ok
}

func (s *searcher) file(fsys fs.FS, p string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil || info.Size() > maxSearchFileLen {
		return nil
	}
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil
	}
	if bytes.IndexByte(data[:min(len(data), sniffBytes)], 0) >= 0 {
		return nil // binary
	}
	// "\r\n" files are matched line by line only: (?m)$ does not match
	// before "\r".
	if s.pre != nil && bytes.IndexByte(data, '\r') < 0 && !s.pre.Match(data) {
		return nil
	}
	n := 0
	for len(data) > 0 {
		n++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if !s.re.Match(line) {
			continue
		}
		if len(s.lines) == maxMatches {
			s.full = true
			return errSearchFull
		}
		text := string(line)
		if len(text) > maxMatchLine {
			text = strings.ToValidUTF8(text[:maxMatchLine], "") + " ..."
		}
		s.lines = append(s.lines, fmt.Sprintf("%s:%d: %s", p, n, text))
	}
	return nil
}
