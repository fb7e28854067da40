package plan

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reasons a glob is refused. Validate words them for the planner.
var (
	errAbsolute = errors.New("is absolute; write a path relative to the repository root")
	errParent   = errors.New(`contains ".."; leases stay inside the repository`)
)

// runeRange is an inclusive range of code points.
type runeRange struct{ lo, hi rune }

// runeSet is a sorted list of disjoint, non-adjacent ranges.
type runeSet []runeRange

// anyChar is every character a path segment may hold: every valid code
// point except NUL and "/".
var anyChar = runeSet{{1, '/' - 1}, {'/' + 1, 0xD7FF}, {0xE000, unicode.MaxRune}}

func (s runeSet) has(r rune) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].hi >= r })
	return i < len(s) && s[i].lo <= r
}

func (s runeSet) intersect(t runeSet) runeSet {
	var out runeSet
	i, j := 0, 0
	for i < len(s) && j < len(t) {
		lo, hi := max(s[i].lo, t[j].lo), min(s[i].hi, t[j].hi)
		if lo <= hi {
			out = append(out, runeRange{lo, hi})
		}
		if s[i].hi < t[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// normalize sorts and merges ranges.
func normalize(rs []runeRange) runeSet {
	sort.Slice(rs, func(i, j int) bool { return rs[i].lo < rs[j].lo })
	var out runeSet
	for _, r := range rs {
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// complement is anyChar minus s.
func (s runeSet) complement() runeSet {
	var gaps []runeRange
	next := rune(0)
	for _, r := range s {
		if r.lo > next {
			gaps = append(gaps, runeRange{next, r.lo - 1})
		}
		next = r.hi + 1
	}
	if next <= unicode.MaxRune {
		gaps = append(gaps, runeRange{next, unicode.MaxRune})
	}
	return normalize(gaps).intersect(anyChar)
}

// hasOther reports whether s holds a character other than ".".
func (s runeSet) hasOther() bool {
	return len(s) > 1 || len(s) == 1 && (s[0].lo != '.' || s[0].hi != '.')
}

// pick chooses a readable character of s other than ".", for examples.
func (s runeSet) pick() rune {
	for _, r := range "xabcdefghijklmnopqrstuvwyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_-" {
		if s.has(r) {
			return r
		}
	}
	for _, rg := range s {
		for r := rg.lo; r <= rg.hi; r++ {
			if r != '.' {
				return r
			}
		}
	}
	return 0 // not reached: callers check hasOther
}

// token is one element of a segment pattern: a star, or one character out
// of a set.
type token struct {
	star bool
	set  runeSet
}

// segment is one slash-separated part of a glob.
type segment struct {
	any     bool    // "**"
	toks    []token // otherwise
	literal bool    // no *, ? or [ in the text
	text    string
}

// glob is a parsed lease glob.
type glob struct {
	src  string
	segs []segment
}

var starSegment = segment{toks: []token{{star: true}}, text: "*"}

// parseGlob parses and checks a lease glob.
func parseGlob(g string) (*glob, error) {
	switch {
	case g == "":
		return nil, errors.New("is empty")
	case !utf8.ValidString(g):
		return nil, errors.New("is not valid UTF-8")
	case strings.TrimSpace(g) != g:
		return nil, errors.New("has leading or trailing spaces")
	case strings.ContainsRune(g, 0):
		return nil, errors.New("contains a NUL byte")
	case strings.HasPrefix(g, "/"):
		return nil, errAbsolute
	case strings.ContainsRune(g, '\\'):
		return nil, errors.New(`contains "\"; separate with "/" (there are no escapes)`)
	}
	parts := strings.Split(g, "/")
	for _, p := range parts {
		if p == ".." {
			return nil, errParent
		}
	}
	out := &glob{src: g}
	for _, p := range parts {
		switch {
		case p == "":
			return nil, errors.New(`has an empty segment ("//" or a trailing "/")`)
		case p == ".":
			return nil, errors.New(`has a "." segment`)
		case p == "**":
			out.segs = append(out.segs, segment{any: true, text: p})
			continue
		case strings.Contains(p, "**"):
			return nil, fmt.Errorf(`has "**" inside segment %q; "**" must be a whole segment, as in "a/**/b"`, p)
		}
		s, err := parseSegment(p)
		if err != nil {
			return nil, err
		}
		out.segs = append(out.segs, s)
	}
	return out, nil
}

func parseSegment(p string) (segment, error) {
	s := segment{text: p, literal: !strings.ContainsAny(p, "*?[")}
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '*':
			s.toks = append(s.toks, token{star: true})
		case '?':
			s.toks = append(s.toks, token{set: anyChar})
		case '[':
			set, n, err := parseClass(rs[i:])
			if err != nil {
				return segment{}, err
			}
			s.toks = append(s.toks, token{set: set})
			i += n - 1
		default:
			s.toks = append(s.toks, token{set: runeSet{{r, r}}})
		}
	}
	return s, nil
}

// parseClass parses a class at the start of rs ("[" included) and returns
// its set and its length in runes.
func parseClass(rs []rune) (runeSet, int, error) {
	i := 1
	negate := false
	if i < len(rs) && (rs[i] == '!' || rs[i] == '^') {
		negate = true
		i++
	}
	start := i
	var ranges []runeRange
	for ; i < len(rs) && rs[i] != ']'; i++ {
		lo, hi := rs[i], rs[i]
		if i+2 < len(rs) && rs[i+1] == '-' && rs[i+2] != ']' {
			hi = rs[i+2]
			if hi < lo {
				return nil, 0, fmt.Errorf("has a reversed range %q", string(rs[i:i+3]))
			}
			i += 2
		}
		ranges = append(ranges, runeRange{lo, hi})
	}
	if i >= len(rs) {
		return nil, 0, errors.New(`has an unclosed "["`)
	}
	if i == start {
		return nil, 0, errors.New(`has an empty class "[]"`)
	}
	set := normalize(ranges)
	if negate {
		set = set.complement()
	} else {
		set = set.intersect(anyChar)
	}
	return set, i + 1, nil
}

// matchSegment reports whether the segment pattern matches name.
func (s segment) match(name string) bool {
	if s.any {
		return true
	}
	if s.literal {
		return s.text == name
	}
	n := len(s.toks)
	cur, next := make([]bool, n+1), make([]bool, n+1)
	closure := func(st []bool) {
		for i := 0; i < n; i++ {
			if st[i] && s.toks[i].star {
				st[i+1] = true
			}
		}
	}
	cur[0] = true
	closure(cur)
	for _, r := range name {
		clear(next)
		alive := false
		for i := 0; i < n; i++ {
			if !cur[i] {
				continue
			}
			if t := s.toks[i]; t.star {
				next[i], alive = true, true
			} else if t.set.has(r) {
				next[i+1], alive = true, true
			}
		}
		if !alive {
			return false
		}
		closure(next)
		cur, next = next, cur
	}
	return cur[n]
}

// match reports whether the glob matches the segments of a path.
func (g *glob) match(names []string) bool {
	n := len(g.segs)
	cur, next := make([]bool, n+1), make([]bool, n+1)
	closure := func(st []bool) {
		for i := 0; i < n; i++ {
			if st[i] && g.segs[i].any {
				st[i+1] = true
			}
		}
	}
	cur[0] = true
	closure(cur)
	for _, name := range names {
		clear(next)
		alive := false
		for i := 0; i < n; i++ {
			if !cur[i] {
				continue
			}
			if g.segs[i].any {
				next[i], alive = true, true
			} else if g.segs[i].match(name) {
				next[i+1], alive = true, true
			}
		}
		if !alive {
			return false
		}
		closure(next)
		cur, next = next, cur
	}
	return cur[n]
}

// splitPath splits a repo-relative path into its segments, or reports why
// it is not one.
func splitPath(p string) ([]string, error) {
	switch {
	case p == "":
		return nil, errors.New("empty path")
	case strings.HasPrefix(p, "/"):
		return nil, errAbsolute
	case strings.ContainsRune(p, 0):
		return nil, errors.New("contains a NUL byte")
	}
	names := strings.Split(p, "/")
	for _, n := range names {
		switch n {
		case "..":
			return nil, errParent
		case "", ".":
			return nil, errors.New("is not a clean path")
		}
	}
	return names, nil
}

// CheckGlob reports whether g is a valid lease glob, and if not, why.
func CheckGlob(g string) error {
	_, err := parseGlob(g)
	if err != nil {
		return fmt.Errorf("glob %q %w", g, err)
	}
	return nil
}

// Match reports whether the repo-relative path is inside the lease made of
// globs. A path that is empty, absolute, or has an empty, "." or ".."
// segment is never inside; an invalid glob matches nothing.
func Match(globs []string, path string) bool {
	names, err := splitPath(path)
	if err != nil {
		return false
	}
	for _, g := range globs {
		pg, err := parseGlob(g)
		if err == nil && pg.match(names) {
			return true
		}
	}
	return false
}

// LeaseDirs returns the directories a sandbox must make writable for the
// lease made of globs: for each glob, the deepest directory that is a
// literal prefix of it ("pkg/cli/*.go" and "pkg/cli/x.go" give "pkg/cli",
// "pkg/**" gives "pkg", "**/x.go" and "go.mod" give "", the repository
// root). Duplicates and directories inside another one are dropped; the
// result is sorted. It over-approximates the lease; Match is the exact
// check. Invalid globs are ignored: they grant nothing.
func LeaseDirs(globs []string) []string {
	var dirs []string
	for _, g := range globs {
		pg, err := parseGlob(g)
		if err != nil {
			continue
		}
		k := len(pg.segs) - 1 // all literal: the file's directory
		for i, s := range pg.segs {
			if s.any || !s.literal {
				k = i
				break
			}
		}
		parts := make([]string, k)
		for i := range k {
			parts[i] = pg.segs[i].text
		}
		dirs = append(dirs, strings.Join(parts, "/"))
	}
	sort.Strings(dirs)
	var out []string
next:
	for _, d := range dirs {
		for _, o := range out { // ancestors sort before d
			if within(d, o) {
				continue next
			}
		}
		out = append(out, d)
	}
	return out
}

// within reports whether directory d is dir or inside it ("" is the root).
func within(d, dir string) bool {
	return dir == "" || d == dir || strings.HasPrefix(d, dir+"/")
}

// Overlap reports whether some path is matched by both globs, and if so
// gives one such path as an example. It errs if either glob is invalid.
func Overlap(a, b string) (example string, ok bool, err error) {
	ga, err := parseGlob(a)
	if err != nil {
		return "", false, fmt.Errorf("glob %q %w", a, err)
	}
	gb, err := parseGlob(b)
	if err != nil {
		return "", false, fmt.Errorf("glob %q %w", b, err)
	}
	example, ok = intersect(ga, gb)
	return example, ok, nil
}
