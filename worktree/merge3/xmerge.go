package merge3

// This file reimplements git's xdl_merge (xdiff/xmerge.c, LGPL-2.1-or-later)
// at the level git's ort merge uses it: XDL_MERGE_ZEALOUS, the default
// "merge" conflict style, no favouring of a side. Identical changes on both
// sides merge; changes that overlap, or merely touch (one ends on the line
// where the other starts, or both insert at the same place), conflict.

// hunk modes, as in xdmerge_t: 0 = conflict, 1 = take side 1, 2 = take side
// 2, 4 = both sides identical after refinement.
const (
	hunkConflict = 0
	hunkOurs     = 1
	hunkTheirs   = 2
	hunkSame     = 4
)

type hunk struct {
	mode               int
	i0, chg0           int // in the base
	i1, chg1, i2, chg2 int // in side 1 and side 2
}

// textLabels are the names written after the conflict markers, and the
// marker length (7 at the top level, 2 more per level of virtual merge base).
type textLabels struct {
	ours, theirs string
	markerSize   int
}

// mergeText merges ours and theirs, both derived from base, line by line as
// git's xdl_merge does and returns the merged bytes (with conflict markers
// where the sides conflict) and the number of conflicting hunks.
func mergeText(base, ours, theirs []byte, l textLabels) ([]byte, int) {
	cls := make(classifier)
	r0, r1, r2 := splitLines(base), splitLines(ours), splitLines(theirs)
	h0, h1, h2 := cls.classify(r0), cls.classify(r1), cls.classify(r2)
	e1, x1 := diffScript(r0, h0, r1, h1)
	e2, x2 := diffScript(r0, h0, r2, h2)
	if len(x1) == 0 {
		return append([]byte(nil), theirs...), 0
	}
	if len(x2) == 0 {
		return append([]byte(nil), ours...), 0
	}
	hunks := mergeScripts(e1, x1, e2, x2)
	hunks = refineConflicts(e1, e2, hunks)
	hunks = simplifyNonConflicts(hunks)
	out := fillMergeBuffer(e1, e2, hunks, l)
	n := 0
	for _, h := range hunks {
		if h.mode == hunkConflict {
			n++
		}
	}
	return out, n
}

// appendMerge adds a hunk, folding it into the previous one when they
// overlap or touch on either side; a fold of different modes conflicts.
func appendMerge(hs []hunk, mode, i0, chg0, i1, chg1, i2, chg2 int) []hunk {
	if n := len(hs); n > 0 {
		m := &hs[n-1]
		if i1 <= m.i1+m.chg1 || i2 <= m.i2+m.chg2 {
			if mode != m.mode {
				m.mode = hunkConflict
			}
			m.chg0 = i0 + chg0 - m.i0
			m.chg1 = i1 + chg1 - m.i1
			m.chg2 = i2 + chg2 - m.i2
			return hs
		}
	}
	return append(hs, hunk{mode: mode, i0: i0, chg0: chg0, i1: i1, chg1: chg1, i2: i2, chg2: chg2})
}

func sameLines(e1 *xenv, i1 int, e2 *xenv, i2, n int) bool {
	for k := 0; k < n; k++ {
		if e1.f2.ha[i1+k] != e2.f2.ha[i2+k] {
			return false
		}
	}
	return true
}

// mergeScripts walks both edit scripts against the base (xdl_do_merge's
// first phase).
func mergeScripts(e1 *xenv, x1 []change, e2 *xenv, x2 []change) []hunk {
	var hs []hunk
	a, b := 0, 0
	for a < len(x1) && b < len(x2) {
		s1, s2 := x1[a], x2[b]
		if s1.i1+s1.chg1 < s2.i1 {
			hs = appendMerge(hs, hunkOurs,
				s1.i1, s1.chg1, s1.i2, s1.chg2, s2.i2-s2.i1+s1.i1, s1.chg1)
			a++
			continue
		}
		if s2.i1+s2.chg1 < s1.i1 {
			hs = appendMerge(hs, hunkTheirs,
				s2.i1, s2.chg1, s1.i2-s1.i1+s2.i1, s2.chg1, s2.i2, s2.chg2)
			b++
			continue
		}
		if s1.i1 != s2.i1 || s1.chg1 != s2.chg1 || s1.chg2 != s2.chg2 ||
			!sameLines(e1, s1.i2, e2, s2.i2, s1.chg2) {
			off := s1.i1 - s2.i1
			ffo := off + s1.chg1 - s2.chg1
			i0, i1, i2 := s1.i1, s1.i2, s2.i2
			if off > 0 {
				i0 -= off
				i1 -= off
			} else {
				i2 += off
			}
			chg0 := s1.i1 + s1.chg1 - i0
			chg1 := s1.i2 + s1.chg2 - i1
			chg2 := s2.i2 + s2.chg2 - i2
			if ffo < 0 {
				chg0 -= ffo
				chg1 -= ffo
			} else {
				chg2 += ffo
			}
			hs = appendMerge(hs, hunkConflict, i0, chg0, i1, chg1, i2, chg2)
		}
		end1 := s1.i1 + s1.chg1
		end2 := s2.i1 + s2.chg1
		if end1 >= end2 {
			b++
		}
		if end2 >= end1 {
			a++
		}
	}
	for ; a < len(x1); a++ {
		s1 := x1[a]
		hs = appendMerge(hs, hunkOurs,
			s1.i1, s1.chg1, s1.i2, s1.chg2, s1.i1+e2.f2.n()-e2.f1.n(), s1.chg1)
	}
	for ; b < len(x2); b++ {
		s2 := x2[b]
		hs = appendMerge(hs, hunkTheirs,
			s2.i1, s2.chg1, s2.i1+e1.f2.n()-e1.f1.n(), s2.chg1, s2.i2, s2.chg2)
	}
	return hs
}

// refineConflicts diffs the two sides of every conflict against each other
// and keeps only the differing parts as conflicts; a conflict whose sides
// turn out equal is resolved (xdl_refine_conflicts).
func refineConflicts(e1, e2 *xenv, hs []hunk) []hunk {
	out := make([]hunk, 0, len(hs))
	for _, m := range hs {
		if m.mode != hunkConflict || m.chg1 == 0 || m.chg2 == 0 {
			out = append(out, m)
			continue
		}
		_, xs := diffScript(
			e1.f2.recs[m.i1:m.i1+m.chg1], e1.f2.ha[m.i1:m.i1+m.chg1],
			e2.f2.recs[m.i2:m.i2+m.chg2], e2.f2.ha[m.i2:m.i2+m.chg2])
		if len(xs) == 0 {
			m.mode = hunkSame
			out = append(out, m)
			continue
		}
		for k, x := range xs {
			n := m
			if k > 0 {
				n = hunk{mode: hunkConflict}
			}
			n.i1, n.chg1 = m.i1+x.i1, x.chg1
			n.i2, n.chg2 = m.i2+x.i2, x.chg2
			out = append(out, n)
		}
	}
	return out
}

// simplifyNonConflicts joins conflicts separated by at most three lines
// (xdl_simplify_non_conflicts without the alnum rule).
func simplifyNonConflicts(hs []hunk) []hunk {
	if len(hs) == 0 {
		return hs
	}
	out := []hunk{hs[0]}
	for _, next := range hs[1:] {
		m := &out[len(out)-1]
		begin := m.i1 + m.chg1
		end := next.i1
		if m.mode != hunkConflict || next.mode != hunkConflict || end-begin > 3 {
			out = append(out, next)
			continue
		}
		m.chg1 = next.i1 + next.chg1 - m.i1
		m.chg2 = next.i2 + next.chg2 - m.i2
	}
	return out
}

// isEOLCRLF reports 1 if record i of recs ends in CRLF, 0 if in LF, -1 if
// undecidable (is_eol_crlf).
func isEOLCRLF(recs [][]byte, i int) int {
	n := len(recs)
	crlf := func(r []byte) int {
		if len(r) > 1 && r[len(r)-2] == '\r' {
			return 1
		}
		return 0
	}
	if i < n-1 {
		return crlf(recs[i])
	}
	if n == 0 {
		return -1
	}
	if r := recs[i]; len(r) > 0 && r[len(r)-1] == '\n' {
		return crlf(r)
	}
	if i == 0 {
		return -1
	}
	return crlf(recs[i-1])
}

func isCRNeeded(e1, e2 *xenv, m hunk) bool {
	at := func(i int) int {
		if i > 0 {
			return i - 1
		}
		return 0
	}
	needs := isEOLCRLF(e1.f2.recs, at(m.i1))
	if needs != 0 {
		needs = isEOLCRLF(e2.f2.recs, at(m.i2))
	}
	if needs != 0 {
		needs = isEOLCRLF(e1.f1.recs, 0)
	}
	return needs > 0
}

// copyRecs appends recs, adding a line end after the last one if it has
// none and addNL is set.
func copyRecs(dst []byte, recs [][]byte, needsCR, addNL bool) []byte {
	for _, r := range recs {
		dst = append(dst, r...)
	}
	if addNL && len(recs) > 0 {
		last := recs[len(recs)-1]
		if len(last) == 0 || last[len(last)-1] != '\n' {
			if needsCR {
				dst = append(dst, '\r')
			}
			dst = append(dst, '\n')
		}
	}
	return dst
}

func marker(dst []byte, c byte, n int, name string, withName, needsCR bool) []byte {
	for k := 0; k < n; k++ {
		dst = append(dst, c)
	}
	if withName {
		dst = append(dst, ' ')
		dst = append(dst, name...)
	}
	if needsCR {
		dst = append(dst, '\r')
	}
	return append(dst, '\n')
}

// fillMergeBuffer writes the merge result (xdl_fill_merge_buffer with the
// "merge" style).
func fillMergeBuffer(e1, e2 *xenv, hs []hunk, l textLabels) []byte {
	a, b := e1.f2.recs, e2.f2.recs
	size := 0
	for _, r := range a {
		size += len(r)
	}
	out := make([]byte, 0, size+size/8+64)
	i := 0
	for _, m := range hs {
		switch {
		case m.mode == hunkConflict:
			cr := isCRNeeded(e1, e2, m)
			out = copyRecs(out, a[i:m.i1], false, false)
			out = marker(out, '<', l.markerSize, l.ours, true, cr)
			out = copyRecs(out, a[m.i1:m.i1+m.chg1], cr, true)
			out = marker(out, '=', l.markerSize, "", false, cr)
			out = copyRecs(out, b[m.i2:m.i2+m.chg2], cr, true)
			out = marker(out, '>', l.markerSize, l.theirs, true, cr)
		case m.mode&3 != 0:
			out = copyRecs(out, a[i:m.i1], false, false)
			if m.mode&1 != 0 {
				out = copyRecs(out, a[m.i1:m.i1+m.chg1], false, m.mode&2 != 0)
			}
			if m.mode&2 != 0 {
				out = copyRecs(out, b[m.i2:m.i2+m.chg2], false, false)
			}
		default:
			continue
		}
		i = m.i1 + m.chg1
	}
	return copyRecs(out, a[i:], false, false)
}
