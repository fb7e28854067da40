package plan

import (
	"slices"
	"strings"
	"sync"
)

// Deciding whether two globs overlap, that is whether some path is matched
// by both, is an emptiness test on the product of two automata, done at two
// levels.
//
// Within a segment, a pattern is a finite automaton whose states are the
// positions between its tokens: a star loops on any character and may be
// skipped, any other token consumes one character of its set. Two patterns
// share a string iff the product automaton, whose states are pairs of
// positions, reaches the pair of end positions; a joint step exists when the
// two tokens' character sets intersect (sets are sorted rune ranges, so this
// is exact over all of Unicode). Path segments are never empty, "." or "..",
// so the product also tracks which of "", ".", ".." or "anything else" the
// string read so far is, and accepts only the last.
//
// Across segments the same construction runs with segment patterns as
// tokens and "**" as the star: a joint step consumes one path segment and
// exists when the two segment patterns share a string (decided as above,
// with "**" standing for "*"), and only a non-empty path is accepted.
//
// Both searches are shortest-path searches, so they also produce an example
// path. Skipping a leading star or a trailing "**" that matched nothing
// costs extra, and so does a "." where another character would do, which
// makes examples read "pkg/cli/x.go" rather than "pkg/cli/.go" and "pkg/x"
// rather than "pkg" for "pkg/**".

// dial is Dijkstra's algorithm with small integer weights (a bucket queue)
// over states numbered from 0.
type dial struct {
	st      []dialState
	buckets [][]int32
	cur     int
}

type dialState struct {
	dist  int32 // -1: not reached
	prev  int32
	label int32
	done  bool
}

// dials keeps searches' memory for the next ones: Validate runs many.
var dials = sync.Pool{New: func() any { return new(dial) }}

// newDial returns a search over n states; give it back with free.
func newDial(n int) *dial {
	d := dials.Get().(*dial)
	if cap(d.st) < n {
		d.st = make([]dialState, n)
	}
	d.st = d.st[:n]
	for i := range d.st {
		d.st[i] = dialState{dist: -1}
	}
	for i := range d.buckets {
		d.buckets[i] = d.buckets[i][:0]
	}
	d.cur = 0
	return d
}

func (d *dial) free() { dials.Put(d) }

// relax offers state s at distance dist, reached from from with label.
func (d *dial) relax(s, dist, from, label int) {
	st := &d.st[s]
	if st.done || st.dist >= 0 && int(st.dist) <= dist {
		return
	}
	st.dist, st.prev, st.label = int32(dist), int32(from), int32(label)
	for len(d.buckets) <= dist {
		d.buckets = append(d.buckets, nil)
	}
	d.buckets[dist] = append(d.buckets[dist], int32(s))
}

// pop returns the next closest unsettled state and its distance.
func (d *dial) pop() (s, dist int, ok bool) {
	for d.cur < len(d.buckets) {
		b := d.buckets[d.cur]
		if len(b) == 0 {
			d.cur++
			continue
		}
		s := int(b[len(b)-1])
		d.buckets[d.cur] = b[:len(b)-1]
		if d.st[s].done || int(d.st[s].dist) != d.cur {
			continue
		}
		d.st[s].done = true
		return s, d.cur, true
	}
	return 0, 0, false
}

// labels returns the labels on the way to s, first first, without the
// epsilon steps (label < 0).
func (d *dial) labels(s int) []int {
	var out []int
	for d.st[s].prev >= 0 {
		if d.st[s].label >= 0 {
			out = append(out, int(d.st[s].label))
		}
		s = int(d.st[s].prev)
	}
	slices.Reverse(out)
	return out
}

const (
	skipCost    = 2 // skipping a star or "**" that matched nothing
	consumeCost = 1
)

// What a segment read so far is: "", ".", ".." or a valid name.
const (
	readEmpty = iota
	readDot
	readDotDot
	readName
)

func stepRead(t int, dot bool) int {
	if !dot {
		return readName
	}
	switch t {
	case readEmpty:
		return readDot
	case readDot:
		return readDotDot
	}
	return readName
}

// segmentExample returns a valid segment name matched by both patterns.
func segmentExample(a, b segment) (string, bool) {
	switch {
	case a.any && b.any:
		return "x", true
	case a.literal && b.literal:
		return a.text, a.text == b.text
	case a.literal:
		return a.text, b.match(a.text)
	case b.literal:
		return b.text, a.match(b.text)
	}
	if a.any {
		a = starSegment
	}
	if b.any {
		b = starSegment
	}
	if !endsAgree(a.toks, b.toks) {
		return "", false
	}
	la, lb := len(a.toks), len(b.toks)
	// state = ((((i*(lb+1) + j)*4 + read)*2 + starUsedA)*2 + starUsedB
	id := func(i, j, t, ua, ub int) int { return (((i*(lb+1)+j)*4+t)*2+ua)*2 + ub }
	d := newDial((la + 1) * (lb + 1) * 16)
	defer d.free()
	d.relax(id(0, 0, readEmpty, 0, 0), 0, -1, -1)
	for {
		s, dist, ok := d.pop()
		if !ok {
			return "", false
		}
		ub, ua, t := s%2, s/2%2, s/4%4
		j, i := s/16%(lb+1), s/16/(lb+1)
		if i == la && j == lb && t == readName {
			var sb strings.Builder
			for _, r := range d.labels(s) {
				sb.WriteRune(rune(r))
			}
			return sb.String(), true
		}
		if i < la && a.toks[i].star {
			d.relax(id(i+1, j, t, 0, ub), dist+skipIf(ua, i == 0), s, -1)
		}
		if j < lb && b.toks[j].star {
			d.relax(id(i, j+1, t, ua, 0), dist+skipIf(ub, j == 0), s, -1)
		}
		if i == la || j == lb {
			continue
		}
		sa, ni, nua := a.toks[i].set, i+1, 0
		if a.toks[i].star {
			sa, ni, nua = anyChar, i, 1
		}
		sb, nj, nub := b.toks[j].set, j+1, 0
		if b.toks[j].star {
			sb, nj, nub = anyChar, j, 1
		}
		both := sa.intersect(sb)
		other := both.hasOther()
		if both.has('.') {
			cost := consumeCost
			if other {
				cost++ // prefer another character in examples
			}
			d.relax(id(ni, nj, stepRead(t, true), nua, nub), dist+cost, s, '.')
		}
		if other {
			d.relax(id(ni, nj, readName, nua, nub), dist+consumeCost, s, int(both.pick()))
		}
	}
}

// endsAgree is a quick necessary condition for two patterns to share a
// string: up to the first star from either end, the characters they
// require at each position can be the same.
func endsAgree(a, b []token) bool {
	for i := 0; i < len(a) && i < len(b) && !a[i].star && !b[i].star; i++ {
		if len(a[i].set.intersect(b[i].set)) == 0 {
			return false
		}
	}
	for i, j := len(a)-1, len(b)-1; i >= 0 && j >= 0 && !a[i].star && !b[j].star; i, j = i-1, j-1 {
		if len(a[i].set.intersect(b[j].set)) == 0 {
			return false
		}
	}
	return true
}

// skipIf is the cost of leaving a star or "**": a leading star that
// matched nothing makes names like ".go", and a trailing "**" that matched
// nothing makes "pkg" an example for "pkg/**", so both cost extra.
func skipIf(used int, penalized bool) int {
	if used == 0 && penalized {
		return skipCost
	}
	return 0
}

// intersect returns a path matched by both globs, if there is one.
func intersect(a, b *glob) (string, bool) {
	na, nb := len(a.segs), len(b.segs)
	type pair struct {
		name string
		ok   bool
		done bool
	}
	memo := make([]pair, na*nb)
	var names []string // labels index into names
	example := func(i, j int) (int, bool) {
		m := &memo[i*nb+j]
		if !m.done {
			m.name, m.ok = segmentExample(a.segs[i], b.segs[j])
			m.done = true
		}
		if !m.ok {
			return 0, false
		}
		names = append(names, m.name)
		return len(names) - 1, true
	}
	// state = (((i*(nb+1) + j)*2 + usedA)*2 + usedB)*2 + nonEmpty
	id := func(i, j, ua, ub, ne int) int { return (((i*(nb+1)+j)*2+ua)*2+ub)*2 + ne }
	d := newDial((na + 1) * (nb + 1) * 8)
	defer d.free()
	d.relax(id(0, 0, 0, 0, 0), 0, -1, -1)
	for {
		s, dist, ok := d.pop()
		if !ok {
			return "", false
		}
		ne, ub, ua := s%2, s/2%2, s/4%2
		j, i := s/8%(nb+1), s/8/(nb+1)
		if i == na && j == nb && ne == 1 {
			var parts []string
			for _, l := range d.labels(s) {
				parts = append(parts, names[l])
			}
			return strings.Join(parts, "/"), true
		}
		if i < na && a.segs[i].any {
			d.relax(id(i+1, j, 0, ub, ne), dist+skipIf(ua, i == na-1), s, -1)
		}
		if j < nb && b.segs[j].any {
			d.relax(id(i, j+1, ua, 0, ne), dist+skipIf(ub, j == nb-1), s, -1)
		}
		if i == na || j == nb {
			continue
		}
		l, ok := example(i, j)
		if !ok {
			continue
		}
		ni, nua := i+1, 0
		if a.segs[i].any {
			ni, nua = i, 1
		}
		nj, nub := j+1, 0
		if b.segs[j].any {
			nj, nub = j, 1
		}
		d.relax(id(ni, nj, nua, nub, 1), dist+consumeCost, s, l)
	}
}
