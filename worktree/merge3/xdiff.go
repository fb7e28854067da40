package merge3

// This file reimplements, in Go, the parts of git's xdiff library (LibXDiff,
// LGPL-2.1-or-later) that a content merge uses: splitting into records, the
// histogram diff (with its fallback to the classic Myers diff when every
// common line is too frequent), sliding changes to a canonical position
// (xdl_change_compact without the indent heuristic) and building the edit
// script. Every decision point follows git 2.39 so that the hunks, and hence
// the merge's verdicts and output bytes, come out the same.

import (
	"bytes"
	"math"
)

// splitLines splits data into xdiff records: each ends just after a '\n',
// the last one may lack it. An empty input has no records.
func splitLines(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	lines := make([][]byte, 0, bytes.Count(data, []byte{'\n'})+1)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			lines = append(lines, data)
			break
		}
		lines = append(lines, data[:i+1:i+1])
		data = data[i+1:]
	}
	return lines
}

// classifier gives equal records equal ids (xdiff's "class" of a record).
type classifier map[string]int32

func (c classifier) classify(recs [][]byte) []int32 {
	ids := make([]int32, len(recs))
	for i, r := range recs {
		id, ok := c[string(r)]
		if !ok {
			id = int32(len(c))
			c[string(r)] = id
		}
		ids[i] = id
	}
	return ids
}

// xfile is one side of a diff: its records, their classes and which of them
// are changed. chg has two sentinels: chg[0] stands for record -1 and
// chg[n+1] for record n, both always false.
type xfile struct {
	recs [][]byte
	ha   []int32
	chg  []bool
}

func newXfile(recs [][]byte, ha []int32) xfile {
	return xfile{recs: recs, ha: ha, chg: make([]bool, len(recs)+2)}
}

func (f *xfile) n() int { return len(f.ha) }

// changed reports whether record i is changed; out of range is unchanged.
func (f *xfile) changed(i int) bool {
	if i < -1 || i > len(f.ha) {
		return false
	}
	return f.chg[i+1]
}

func (f *xfile) mark(i int, v bool) { f.chg[i+1] = v }

// xenv is a two-way diff between f1 (the preimage) and f2.
type xenv struct {
	f1, f2 xfile
}

// change is one hunk of an edit script: chg1 records at i1 in the preimage
// became chg2 records at i2 in the postimage (0-based).
type change struct {
	i1, i2, chg1, chg2 int
}

// diffScript diffs two record sequences with the histogram algorithm,
// compacts the result and returns the edit script, as xdl_do_diff followed
// by xdl_change_compact (both directions) and xdl_build_script do. ha1 and
// ha2 must come from the same classifier.
func diffScript(recs1 [][]byte, ha1 []int32, recs2 [][]byte, ha2 []int32) (*xenv, []change) {
	e := &xenv{f1: newXfile(recs1, ha1), f2: newXfile(recs2, ha2)}
	e.histogram(1, len(ha1), 1, len(ha2))
	compact(&e.f1, &e.f2)
	compact(&e.f2, &e.f1)
	return e, e.script()
}

// ---- histogram diff (xhistogram.c) ----

type histRec struct {
	ptr, cnt int
}

type histIndex struct {
	e         *xenv
	recs      map[int32]*histRec // one record per distinct line of region A
	lineMap   []*histRec         // by line - ptrShift
	nextPtrs  []int              // next occurrence of the same line, by line - ptrShift
	ptrShift  int
	maxChain  int
	cnt       int
	hasCommon bool
}

type region struct {
	begin1, end1, begin2, end2 int
}

const histMaxChain = 64

// histogram marks changed records between lines line1..line1+count1-1 of f1
// and line2..line2+count2-1 of f2 (1-based, as in xdiff).
func (e *xenv) histogram(line1, count1, line2, count2 int) {
	for {
		if count1 <= 0 && count2 <= 0 {
			return
		}
		if count1 == 0 {
			for ; count2 > 0; count2-- {
				e.f2.mark(line2-1, true)
				line2++
			}
			return
		}
		if count2 == 0 {
			for ; count1 > 0; count1-- {
				e.f1.mark(line1-1, true)
				line1++
			}
			return
		}
		var lcs region
		fallback := e.findLCS(&lcs, line1, count1, line2, count2)
		if fallback {
			e.classicRange(line1, count1, line2, count2)
			return
		}
		if lcs.begin1 == 0 && lcs.begin2 == 0 {
			for ; count1 > 0; count1-- {
				e.f1.mark(line1-1, true)
				line1++
			}
			for ; count2 > 0; count2-- {
				e.f2.mark(line2-1, true)
				line2++
			}
			return
		}
		e.histogram(line1, lcs.begin1-line1, line2, lcs.begin2-line2)
		end1, end2 := line1+count1-1, line2+count2-1
		count1 = end1 - lcs.end1
		line1 = lcs.end1 + 1
		count2 = end2 - lcs.end2
		line2 = lcs.end2 + 1
	}
}

// findLCS looks for the longest common run with the lowest occurrence count
// and reports whether to fall back to the classic diff (there are common
// lines, but all occur more than histMaxChain times in region A).
func (e *xenv) findLCS(lcs *region, line1, count1, line2, count2 int) bool {
	x := &histIndex{
		e:        e,
		recs:     make(map[int32]*histRec, count1),
		lineMap:  make([]*histRec, count1),
		nextPtrs: make([]int, count1),
		ptrShift: line1,
		maxChain: histMaxChain,
	}
	end1 := line1 + count1 - 1
	for ptr := end1; ptr >= line1; ptr-- {
		id := e.f1.ha[ptr-1]
		if rec, ok := x.recs[id]; ok {
			x.nextPtrs[ptr-x.ptrShift] = rec.ptr
			rec.ptr = ptr
			rec.cnt++
			x.lineMap[ptr-x.ptrShift] = rec
			continue
		}
		rec := &histRec{ptr: ptr, cnt: 1}
		x.recs[id] = rec
		x.lineMap[ptr-x.ptrShift] = rec
	}
	x.cnt = x.maxChain + 1
	for bPtr := line2; bPtr <= line2+count2-1; {
		bPtr = x.tryLCS(lcs, bPtr, line1, count1, line2, count2)
	}
	return x.hasCommon && x.maxChain < x.cnt
}

func (x *histIndex) tryLCS(lcs *region, bPtr, line1, count1, line2, count2 int) int {
	ha1, ha2 := x.e.f1.ha, x.e.f2.ha
	end1, end2 := line1+count1-1, line2+count2-1
	bNext := bPtr + 1
	rec, ok := x.recs[ha2[bPtr-1]]
	if !ok {
		return bNext
	}
	if rec.cnt > x.cnt {
		x.hasCommon = true
		return bNext
	}
	as := rec.ptr
	x.hasCommon = true
	for {
		np := x.nextPtrs[as-x.ptrShift]
		bs := bPtr
		ae, be := as, bs
		rc := rec.cnt
		for line1 < as && line2 < bs && ha1[as-2] == ha2[bs-2] {
			as--
			bs--
			if 1 < rc {
				rc = min(rc, x.lineMap[as-x.ptrShift].cnt)
			}
		}
		for ae < end1 && be < end2 && ha1[ae] == ha2[be] {
			ae++
			be++
			if 1 < rc {
				rc = min(rc, x.lineMap[ae-x.ptrShift].cnt)
			}
		}
		if bNext <= be {
			bNext = be + 1
		}
		if lcs.end1-lcs.begin1 < ae-as || rc < x.cnt {
			*lcs = region{begin1: as, begin2: bs, end1: ae, end2: be}
			x.cnt = rc
		}
		if np == 0 {
			break
		}
		for np <= ae {
			np = x.nextPtrs[np-x.ptrShift]
			if np == 0 {
				break
			}
		}
		if np == 0 {
			break
		}
		as = np
	}
	return bNext
}

// ---- classic diff (xdiffi.c, xprepare.c), used as the histogram fallback ----

const (
	maxCostMin  = 256
	heurMinCost = 256
	snakeCnt    = 20
	kHeur       = 4
	maxEqLimit  = 1024
	simscanWin  = 100
	kpdisRun    = 4
)

func bogosqrt(n int) int {
	i := 1
	for ; n > 0; n >>= 2 {
		i <<= 1
	}
	return i
}

// classicRange runs the classic diff on a sub-range (1-based lines) as if the
// two ranges were whole files, and copies the changed marks back, like
// xdl_fall_back_diff.
func (e *xenv) classicRange(line1, count1, line2, count2 int) {
	a, b := line1-1, line2-1
	sub := &xenv{
		f1: newXfile(e.f1.recs[a:a+count1], e.f1.ha[a:a+count1]),
		f2: newXfile(e.f2.recs[b:b+count2], e.f2.ha[b:b+count2]),
	}
	sub.classic()
	copy(e.f1.chg[a+1:a+1+count1], sub.f1.chg[1:1+count1])
	copy(e.f2.chg[b+1:b+1+count2], sub.f2.chg[1:1+count2])
}

type myers struct {
	ha1, ha2         []int32 // classes of the records that take part
	rindex1, rindex2 []int   // their record indexes
	f1, f2           *xfile
	kvd              []int
	fOff, bOff       int
	mxcost           int
}

// classic is xdl_do_diff with the default (Myers) algorithm on the whole of
// e: trimming common ends, discarding lines without a match, then the
// divide-and-conquer search with git's cost heuristics.
func (e *xenv) classic() {
	n1, n2 := e.f1.n(), e.f2.n()
	len1 := make(map[int32]int)
	len2 := make(map[int32]int)
	for _, id := range e.f1.ha {
		len1[id]++
	}
	for _, id := range e.f2.ha {
		len2[id]++
	}
	// xdl_trim_ends
	lim := min(n1, n2)
	start := 0
	for start < lim && e.f1.ha[start] == e.f2.ha[start] {
		start++
	}
	tail := 0
	for tail < lim-start && e.f1.ha[n1-1-tail] == e.f2.ha[n2-1-tail] {
		tail++
	}
	dend1, dend2 := n1-tail-1, n2-tail-1

	// xdl_cleanup_records
	dis1 := make([]byte, n1+1)
	dis2 := make([]byte, n2+1)
	mlim := min(bogosqrt(n1), maxEqLimit)
	for i := start; i <= dend1; i++ {
		nm := len2[e.f1.ha[i]]
		dis1[i] = disClass(nm, mlim)
	}
	mlim = min(bogosqrt(n2), maxEqLimit)
	for i := start; i <= dend2; i++ {
		nm := len1[e.f2.ha[i]]
		dis2[i] = disClass(nm, mlim)
	}
	m := &myers{f1: &e.f1, f2: &e.f2}
	for i := start; i <= dend1; i++ {
		if dis1[i] == 1 || (dis1[i] == 2 && !cleanMmatch(dis1, i, start, dend1)) {
			m.rindex1 = append(m.rindex1, i)
			m.ha1 = append(m.ha1, e.f1.ha[i])
		} else {
			e.f1.mark(i, true)
		}
	}
	for i := start; i <= dend2; i++ {
		if dis2[i] == 1 || (dis2[i] == 2 && !cleanMmatch(dis2, i, start, dend2)) {
			m.rindex2 = append(m.rindex2, i)
			m.ha2 = append(m.ha2, e.f2.ha[i])
		} else {
			e.f2.mark(i, true)
		}
	}

	nreff1, nreff2 := len(m.ha1), len(m.ha2)
	ndiags := nreff1 + nreff2 + 3
	m.kvd = make([]int, 2*ndiags+2)
	m.fOff = nreff2 + 1
	m.bOff = ndiags + nreff2 + 1
	m.mxcost = max(bogosqrt(ndiags), maxCostMin)
	m.recsCmp(0, nreff1, 0, nreff2, false)
}

func disClass(nm, mlim int) byte {
	switch {
	case nm == 0:
		return 0
	case nm >= mlim:
		return 2
	default:
		return 1
	}
}

// cleanMmatch reports whether the multi-match line i sits in a run of lines
// without matches and should be discarded (xdl_clean_mmatch).
func cleanMmatch(dis []byte, i, s, e int) bool {
	if i-s > simscanWin {
		s = i - simscanWin
	}
	if e-i > simscanWin {
		e = i + simscanWin
	}
	rdis0, rpdis0 := 0, 1
	for r := 1; i-r >= s; r++ {
		if dis[i-r] == 0 {
			rdis0++
		} else if dis[i-r] == 2 {
			rpdis0++
		} else {
			break
		}
	}
	if rdis0 == 0 {
		return false
	}
	rdis1, rpdis1 := 0, 1
	for r := 1; i+r <= e; r++ {
		if dis[i+r] == 0 {
			rdis1++
		} else if dis[i+r] == 2 {
			rpdis1++
		} else {
			break
		}
	}
	if rdis1 == 0 {
		return false
	}
	rdis1 += rdis0
	rpdis1 += rpdis0
	return rpdis1*kpdisRun < rpdis1+rdis1
}

func (m *myers) kf(d int) int       { return m.kvd[m.fOff+d] }
func (m *myers) setKf(d, v int)     { m.kvd[m.fOff+d] = v }
func (m *myers) kb(d int) int       { return m.kvd[m.bOff+d] }
func (m *myers) setKb(d, v int)     { m.kvd[m.bOff+d] = v }
func (m *myers) eq(i1, i2 int) bool { return m.ha1[i1] == m.ha2[i2] }

func (m *myers) recsCmp(off1, lim1, off2, lim2 int, needMin bool) {
	for off1 < lim1 && off2 < lim2 && m.eq(off1, off2) {
		off1++
		off2++
	}
	for off1 < lim1 && off2 < lim2 && m.eq(lim1-1, lim2-1) {
		lim1--
		lim2--
	}
	switch {
	case off1 == lim1:
		for ; off2 < lim2; off2++ {
			m.f2.mark(m.rindex2[off2], true)
		}
	case off2 == lim2:
		for ; off1 < lim1; off1++ {
			m.f1.mark(m.rindex1[off1], true)
		}
	default:
		i1, i2, minLo, minHi := m.split(off1, lim1, off2, lim2, needMin)
		m.recsCmp(off1, i1, off2, i2, minLo)
		m.recsCmp(i1, lim1, i2, lim2, minHi)
	}
}

// split is xdl_split: find a midpoint of an optimal (or, past the cost
// limits, a good enough) edit path through the box.
func (m *myers) split(off1, lim1, off2, lim2 int, needMin bool) (si1, si2 int, minLo, minHi bool) {
	dmin, dmax := off1-lim2, lim1-off2
	fmid, bmid := off1-off2, lim1-lim2
	odd := (fmid-bmid)&1 != 0
	fmin, fmax := fmid, fmid
	bmin, bmax := bmid, bmid
	m.setKf(fmid, off1)
	m.setKb(bmid, lim1)
	const lineMax = math.MaxInt

	for ec := 1; ; ec++ {
		gotSnake := false
		if fmin > dmin {
			fmin--
			m.setKf(fmin-1, -1)
		} else {
			fmin++
		}
		if fmax < dmax {
			fmax++
			m.setKf(fmax+1, -1)
		} else {
			fmax--
		}
		for d := fmax; d >= fmin; d -= 2 {
			var i1 int
			if m.kf(d-1) >= m.kf(d+1) {
				i1 = m.kf(d-1) + 1
			} else {
				i1 = m.kf(d + 1)
			}
			prev1 := i1
			i2 := i1 - d
			for i1 < lim1 && i2 < lim2 && m.eq(i1, i2) {
				i1++
				i2++
			}
			if i1-prev1 > snakeCnt {
				gotSnake = true
			}
			m.setKf(d, i1)
			if odd && bmin <= d && d <= bmax && m.kb(d) <= i1 {
				return i1, i2, true, true
			}
		}

		if bmin > dmin {
			bmin--
			m.setKb(bmin-1, lineMax)
		} else {
			bmin++
		}
		if bmax < dmax {
			bmax++
			m.setKb(bmax+1, lineMax)
		} else {
			bmax--
		}
		for d := bmax; d >= bmin; d -= 2 {
			var i1 int
			if m.kb(d-1) < m.kb(d+1) {
				i1 = m.kb(d - 1)
			} else {
				i1 = m.kb(d+1) - 1
			}
			prev1 := i1
			i2 := i1 - d
			for i1 > off1 && i2 > off2 && m.eq(i1-1, i2-1) {
				i1--
				i2--
			}
			if prev1-i1 > snakeCnt {
				gotSnake = true
			}
			m.setKb(d, i1)
			if !odd && fmin <= d && d <= fmax && i1 <= m.kf(d) {
				return i1, i2, true, true
			}
		}

		if needMin {
			continue
		}

		if gotSnake && ec > heurMinCost {
			best := 0
			for d := fmax; d >= fmin; d -= 2 {
				dd := d - fmid
				if dd < 0 {
					dd = -dd
				}
				i1 := m.kf(d)
				i2 := i1 - d
				v := (i1 - off1) + (i2 - off2) - dd
				if v > kHeur*ec && v > best &&
					off1+snakeCnt <= i1 && i1 < lim1 &&
					off2+snakeCnt <= i2 && i2 < lim2 {
					for k := 1; m.eq(i1-k, i2-k); k++ {
						if k == snakeCnt {
							best = v
							si1, si2 = i1, i2
							break
						}
					}
				}
			}
			if best > 0 {
				return si1, si2, true, false
			}
			best = 0
			for d := bmax; d >= bmin; d -= 2 {
				dd := d - bmid
				if dd < 0 {
					dd = -dd
				}
				i1 := m.kb(d)
				i2 := i1 - d
				v := (lim1 - i1) + (lim2 - i2) - dd
				if v > kHeur*ec && v > best &&
					off1 < i1 && i1 <= lim1-snakeCnt &&
					off2 < i2 && i2 <= lim2-snakeCnt {
					for k := 0; m.eq(i1+k, i2+k); k++ {
						if k == snakeCnt-1 {
							best = v
							si1, si2 = i1, i2
							break
						}
					}
				}
			}
			if best > 0 {
				return si1, si2, false, true
			}
		}

		if ec >= m.mxcost {
			fbest, fbest1 := -1, -1
			for d := fmax; d >= fmin; d -= 2 {
				i1 := min(m.kf(d), lim1)
				i2 := i1 - d
				if lim2 < i2 {
					i1 = lim2 + d
					i2 = lim2
				}
				if fbest < i1+i2 {
					fbest = i1 + i2
					fbest1 = i1
				}
			}
			bbest, bbest1 := lineMax, lineMax
			for d := bmax; d >= bmin; d -= 2 {
				i1 := max(off1, m.kb(d))
				i2 := i1 - d
				if i2 < off2 {
					i1 = off2 + d
					i2 = off2
				}
				if i1+i2 < bbest {
					bbest = i1 + i2
					bbest1 = i1
				}
			}
			if (lim1+lim2)-bbest < fbest-(off1+off2) {
				return fbest1, fbest - fbest1, true, false
			}
			return bbest1, bbest - bbest1, false, true
		}
	}
}

// ---- compaction and edit script (xdiffi.c) ----

type group struct {
	start, end int
}

func (f *xfile) groupInit(g *group) {
	g.start, g.end = 0, 0
	for f.changed(g.end) {
		g.end++
	}
}

func (f *xfile) groupNext(g *group) bool {
	if g.end == f.n() {
		return false
	}
	g.start = g.end + 1
	g.end = g.start
	for f.changed(g.end) {
		g.end++
	}
	return true
}

func (f *xfile) groupPrevious(g *group) bool {
	if g.start == 0 {
		return false
	}
	g.end = g.start - 1
	g.start = g.end
	for f.changed(g.start - 1) {
		g.start--
	}
	return true
}

func (f *xfile) slideDown(g *group) bool {
	if g.end < f.n() && f.ha[g.start] == f.ha[g.end] {
		f.mark(g.start, false)
		g.start++
		f.mark(g.end, true)
		g.end++
		for f.changed(g.end) {
			g.end++
		}
		return true
	}
	return false
}

func (f *xfile) slideUp(g *group) bool {
	if g.start > 0 && f.ha[g.start-1] == f.ha[g.end-1] {
		g.start--
		f.mark(g.start, true)
		g.end--
		f.mark(g.end, false)
		for f.changed(g.start - 1) {
			g.start--
		}
		return true
	}
	return false
}

// compact slides every group of changes in f as far down as it goes, merging
// groups it bumps into, then back up to align with a change in o if one is
// in reach (xdl_change_compact without XDF_INDENT_HEURISTIC).
func compact(f, o *xfile) {
	var g, og group
	f.groupInit(&g)
	o.groupInit(&og)
	for {
		if g.end != g.start {
			var earliestEnd, endMatchingOther int
			for {
				groupsize := g.end - g.start
				endMatchingOther = -1
				for f.slideUp(&g) {
					if !o.groupPrevious(&og) {
						panic("merge3: group sync broken sliding up")
					}
				}
				earliestEnd = g.end
				if og.end > og.start {
					endMatchingOther = g.end
				}
				for f.slideDown(&g) {
					if !o.groupNext(&og) {
						panic("merge3: group sync broken sliding down")
					}
					if og.end > og.start {
						endMatchingOther = g.end
					}
				}
				if groupsize == g.end-g.start {
					break
				}
			}
			if g.end != earliestEnd && endMatchingOther != -1 {
				for og.end == og.start {
					if !f.slideUp(&g) {
						panic("merge3: match disappeared")
					}
					if !o.groupPrevious(&og) {
						panic("merge3: group sync broken sliding to match")
					}
				}
			}
		}
		if !f.groupNext(&g) {
			break
		}
		if !o.groupNext(&og) {
			panic("merge3: group sync broken moving to next group")
		}
	}
}

// script collects the changed groups into hunks, in increasing order
// (xdl_build_script).
func (e *xenv) script() []change {
	var rev []change
	for i1, i2 := e.f1.n(), e.f2.n(); i1 >= 0 || i2 >= 0; i1, i2 = i1-1, i2-1 {
		if e.f1.changed(i1-1) || e.f2.changed(i2-1) {
			l1 := i1
			for e.f1.changed(i1 - 1) {
				i1--
			}
			l2 := i2
			for e.f2.changed(i2 - 1) {
				i2--
			}
			rev = append(rev, change{i1: i1, i2: i2, chg1: l1 - i1, chg2: l2 - i2})
		}
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
