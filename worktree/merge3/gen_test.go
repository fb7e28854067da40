package merge3

// The random case generator of the oracle test: trees of text, binary,
// executable, empty and no-trailing-newline files, symlinks and submodules
// in nested directories, and two sides that edit them with correlated
// changes (identical, adjacent, overlapping, far apart), add, delete, flip
// modes, and turn files into directories and back. Histories are written
// with one `git fast-import`, some of them criss-cross so that the merge
// has two or three merge bases.
//
// Rename detection: git detects renames (`git merge-tree` has no way to
// turn it off: it ignores merge.renames); this package does not. So that
// a case never contains one, no two paths ever share a line: every file a
// side adds (including the file that replaces a directory and the file
// under a directory that replaces a file) gets fresh lines that occur
// nowhere else, and the repeated vocabulary lines of a file carry its path
// (criss-cross histories can bring back, relative to the virtual base, a
// file that one base deleted; it must not resemble a file deleted on the
// same side). A side adds an empty file only if it deletes nothing (an
// empty file would be an exact rename of a deleted empty one). Symlinks
// are renamed only when exact, and their new targets are fresh too.

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
)

const (
	modeFile    = 0o100644
	modeExec    = 0o100755
	modeSymlink = 0o120000
	modeGitlink = 0o160000
)

type blobSpec struct {
	mode uint32
	data []byte // content, symlink target, or the hex commit id of a gitlink
}

type treeSpec map[string]blobSpec

func (t treeSpec) clone() treeSpec {
	c := make(treeSpec, len(t))
	for k, v := range t {
		c[k] = v
	}
	return c
}

func (t treeSpec) paths() []string {
	ps := make([]string, 0, len(t))
	for p := range t {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// dirs lists the directories of t, sorted.
func (t treeSpec) dirs() []string {
	set := map[string]bool{}
	for p := range t {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			set[d] = true
		}
	}
	var ds []string
	for d := range set {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	return ds
}

// fits reports whether a file can be added at p: nothing there, no file
// where p needs a directory, no directory where p needs a file.
func (t treeSpec) fits(p string) bool {
	if _, ok := t[p]; ok {
		return false
	}
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		if _, ok := t[d]; ok {
			return false
		}
	}
	for q := range t {
		if strings.HasPrefix(q, p+"/") {
			return false
		}
	}
	return true
}

// sanitize drops files that sit under a path that is a file.
func (t treeSpec) sanitize() {
	for p := range t {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := t[d]; ok {
				delete(t, p)
				break
			}
		}
	}
}

type commitSpec struct {
	parents []int // indexes of earlier commits of the case
	tree    treeSpec
	when    int64
}

type genCase struct {
	id           int
	kind         string // "simple", "criss-cross", "three-bases"
	commits      []commitSpec
	oursAt       int    // index of ours in commits
	theirsAt     int    // index of theirs
	ours, theirs string // their ids, once imported (also the labels)
}

type gen struct {
	rng   *rand.Rand
	fresh int
	when  int64
	// how likely a line is a shared vocabulary line, and how many words
	// of the vocabulary are in use: set per case, from varied to very
	// repetitive text (which is where diff algorithms differ)
	repeat float64
	vocab  int
	// scope is the path whose content is being made: vocabulary lines
	// carry it, so that two files never share a line (see the rename
	// note at the top)
	scope string
}

func (g *gen) word(w string) string {
	if w == "\n" {
		return w
	}
	return strings.TrimSuffix(w, "\n") + " " + g.scope + "\n"
}

func newGen(seed uint64) *gen {
	return &gen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), when: 1700000000}
}

func (g *gen) p(prob float64) bool { return g.rng.Float64() < prob }
func (g *gen) n(k int) int         { return g.rng.IntN(k) }

func (g *gen) token(prefix string) string {
	g.fresh++
	return fmt.Sprintf("%s%d-%x", prefix, g.fresh, g.rng.Uint32())
}

var vocab = []string{
	"alpha\n", "beta\n", "gamma\n", "delta\n", "}\n", "\n",
	"\treturn nil\n", "x := 1\n", "// note\n", "end\n",
}

// lines makes n lines: shared vocabulary (repeated lines, which make the
// diff's choices interesting) when shared is set, fresh lines otherwise.
func (g *gen) lines(n int, shared bool) []string {
	out := make([]string, n)
	for i := range out {
		if shared && g.p(g.repeat) {
			out[i] = g.word(vocab[g.n(g.vocab)])
		} else {
			out[i] = g.token("l") + "\n"
		}
	}
	return out
}

func join(ls []string) []byte { return []byte(strings.Join(ls, "")) }

func split(data []byte) []string {
	var out []string
	for _, r := range splitLines(data) {
		out = append(out, string(r))
	}
	return out
}

func (g *gen) crlf(ls []string) []string {
	for i, l := range ls {
		if strings.HasSuffix(l, "\n") {
			ls[i] = strings.TrimSuffix(l, "\n") + "\r\n"
		}
	}
	return ls
}

// textFile makes a base text file: sometimes empty, sometimes without a
// final newline, rarely CRLF.
func (g *gen) textFile(shared bool) []byte {
	if g.p(0.06) {
		return nil
	}
	ls := g.lines(1+g.n(16), shared)
	if g.p(0.05) {
		ls = g.crlf(ls)
	}
	if g.p(0.15) {
		ls[len(ls)-1] = strings.TrimRight(ls[len(ls)-1], "\r\n")
		if ls[len(ls)-1] == "" {
			ls[len(ls)-1] = "tail"
		}
	}
	return join(ls)
}

func (g *gen) binary() []byte {
	b := []byte(g.token("bin") + "\x00")
	for i := 0; i < 8+g.n(24); i++ {
		b = append(b, byte(g.rng.Uint32()))
	}
	return b
}

func (g *gen) gitlink() []byte {
	return []byte(fmt.Sprintf("%08x%08x%08x%08x%08x", g.rng.Uint32(), g.rng.Uint32(), g.rng.Uint32(), g.rng.Uint32(), g.rng.Uint32()))
}

// newBlob makes the content of an added file, which shares nothing with
// any other file (see the rename note at the top); allowEmpty allows an
// empty one.
func (g *gen) newBlob(allowEmpty bool) blobSpec {
	switch r := g.rng.Float64(); {
	case r < 0.05:
		return blobSpec{mode: modeFile, data: g.binary()}
	case r < 0.09:
		return blobSpec{mode: modeSymlink, data: []byte(g.token("target"))}
	case allowEmpty && r < 0.14:
		return blobSpec{mode: modeFile}
	}
	ls := g.lines(1+g.n(6), false)
	if g.p(0.1) {
		ls[len(ls)-1] = strings.TrimSuffix(ls[len(ls)-1], "\n")
	}
	mode := uint32(modeFile)
	if g.p(0.12) {
		mode = modeExec
	}
	return blobSpec{mode: mode, data: join(ls)}
}

var dirChoices = []string{"", "", "a/", "a/b/", "c/", "c/d/e/"}

func (g *gen) newPath(t treeSpec) string {
	for {
		p := dirChoices[g.n(len(dirChoices))] + g.token("f") + ".txt"
		if g.p(0.15) {
			p = g.token("n") + "/" + g.token("f")
		}
		if t.fits(p) {
			return p
		}
	}
}

func (g *gen) baseTree() treeSpec {
	t := treeSpec{}
	for i := 2 + g.n(6); i > 0; i-- {
		p := g.newPath(t)
		var b blobSpec
		switch r := g.rng.Float64(); {
		case r < 0.05:
			b = blobSpec{mode: modeFile, data: g.binary()}
		case r < 0.09:
			b = blobSpec{mode: modeSymlink, data: []byte(g.token("target"))}
		case r < 0.11:
			b = blobSpec{mode: modeGitlink, data: g.gitlink()}
		case r < 0.20:
			g.scope = p
			b = blobSpec{mode: modeExec, data: g.textFile(true)}
		default:
			g.scope = p
			b = blobSpec{mode: modeFile, data: g.textFile(true)}
		}
		t[p] = b
	}
	return t
}

// lineEdit replaces del lines at at (in the base) with ins.
type lineEdit struct {
	at, del int
	ins     []string
}

func applyEdits(base []string, edits []lineEdit) []string {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].at < edits[j].at })
	var out []string
	pos := 0
	for _, e := range edits {
		if e.at < pos {
			continue // overlaps the previous edit: dropped
		}
		out = append(out, base[pos:e.at]...)
		out = append(out, e.ins...)
		pos = e.at + e.del
	}
	return append(out, base[pos:]...)
}

func (g *gen) randomEdit(n int) lineEdit {
	at := g.n(n + 1)
	del := 0
	if at < n {
		del = g.n(min(3, n-at) + 1)
	}
	k := g.n(3)
	if del == 0 && k == 0 {
		k = 1
	}
	return lineEdit{at: at, del: del, ins: g.lines(k, true)}
}

// edits makes one side's edits of a text file; ref are the other side's
// edits of the same file, which some of these copy or sit next to.
func (g *gen) edits(n int, ref []lineEdit) []lineEdit {
	var es []lineEdit
	ref = slices.DeleteFunc(slices.Clone(ref), func(e lineEdit) bool { return e.at+e.del > n })
	for k := 1 + g.n(3); k > 0; k-- {
		if len(ref) == 0 || g.p(0.3) {
			es = append(es, g.randomEdit(n))
			continue
		}
		r := ref[g.n(len(ref))]
		switch g.n(5) {
		case 0: // the same change
			es = append(es, lineEdit{at: r.at, del: r.del, ins: append([]string(nil), r.ins...)})
		case 1: // right after it
			at := r.at + r.del
			del := 0
			if at < n && g.p(0.5) {
				del = 1
			}
			es = append(es, lineEdit{at: at, del: del, ins: g.lines(g.n(2)+1-del, true)})
		case 2: // right before it
			if r.at > 0 {
				es = append(es, lineEdit{at: r.at - 1, del: 1, ins: g.lines(g.n(2), true)})
			} else {
				es = append(es, lineEdit{at: 0, del: 0, ins: g.lines(1, true)})
			}
		case 3: // overlapping, different
			del := r.del
			if del == 0 && r.at < n {
				del = 1
			}
			es = append(es, lineEdit{at: r.at, del: del, ins: g.lines(1+g.n(2), true)})
		default: // one line apart
			at := r.at + r.del + 1
			if at <= n {
				es = append(es, lineEdit{at: at, del: 0, ins: g.lines(1, true)})
			}
		}
	}
	return es
}

// sideState remembers what a side did, for the other side to correlate.
type sideState struct {
	edits   map[string][]lineEdit
	deleted bool
}

// editText changes a text file's content with line edits, sometimes also
// toggling the final newline.
func (g *gen) editText(data []byte, ref []lineEdit) ([]byte, []lineEdit) {
	base := split(data)
	es := g.edits(len(base), ref)
	out := applyEdits(base, append([]lineEdit(nil), es...))
	if g.p(0.1) && len(out) > 0 {
		last := out[len(out)-1]
		if strings.HasSuffix(last, "\n") {
			if t := strings.TrimSuffix(last, "\n"); t != "" {
				out[len(out)-1] = t
			}
		} else {
			out[len(out)-1] = last + "\n"
		}
	}
	return join(out), es
}

// side derives one side's tree from base. other is what the other side did
// (nil for the first side); pBoth is how likely a file the other side
// changed is changed here too.
func (g *gen) side(base treeSpec, other *sideState, pBoth float64) (treeSpec, *sideState) {
	t := base.clone()
	st := &sideState{edits: map[string][]lineEdit{}}
	for _, p := range base.paths() {
		b := base[p]
		var ref []lineEdit
		touched := false
		if other != nil {
			ref, touched = other.edits[p]
			if !touched {
				// the other side did not edit it (kept or did something
				// else); stay calm mostly
				if g.p(0.7) {
					continue
				}
			} else if !g.p(pBoth) {
				continue
			}
		}
		g.scope = p
		r := g.rng.Float64()
		if other != nil {
			r = 0.35 + 0.65*r // the second side only gets here to change it
		}
		switch {
		case r < 0.35:
			continue // keep
		case r < 0.42:
			delete(t, p)
			st.deleted = true
			st.edits[p] = nil
		case r < 0.47 && b.mode != modeSymlink && b.mode != modeGitlink:
			// flip the executable bit, maybe with an edit
			nb := b
			if b.mode == modeExec {
				nb.mode = modeFile
			} else {
				nb.mode = modeExec
			}
			if g.p(0.4) && !isBinary(b.data) {
				nb.data, st.edits[p] = g.editText(b.data, ref)
			} else {
				st.edits[p] = nil
			}
			t[p] = nb
		case r < 0.50:
			// the file becomes a directory
			delete(t, p)
			st.deleted = true
			np := p + "/" + g.token("f")
			if t.fits(np) {
				t[np] = g.newBlob(false)
			}
			st.edits[p] = nil
		case r < 0.52 && b.mode != modeSymlink && b.mode != modeGitlink:
			t[p] = blobSpec{mode: b.mode} // emptied
			st.edits[p] = nil
		case r < 0.54 && b.mode == modeFile:
			// becomes a symlink
			t[p] = blobSpec{mode: modeSymlink, data: []byte(g.token("target"))}
			st.edits[p] = nil
		default:
			switch {
			case b.mode == modeSymlink:
				t[p] = blobSpec{mode: modeSymlink, data: []byte(g.token("target"))}
				st.edits[p] = nil
			case b.mode == modeGitlink:
				t[p] = blobSpec{mode: modeGitlink, data: g.gitlink()}
				st.edits[p] = nil
			case isBinary(b.data):
				nb := append([]byte(nil), b.data...)
				nb[len(nb)-1-g.n(4)] ^= byte(1 + g.n(200))
				t[p] = blobSpec{mode: b.mode, data: nb}
				st.edits[p] = nil
			default:
				var nd []byte
				nd, st.edits[p] = g.editText(b.data, ref)
				t[p] = blobSpec{mode: b.mode, data: nd}
			}
		}
	}
	// A directory becomes a file.
	if g.p(0.06) {
		if ds := base.dirs(); len(ds) > 0 {
			d := ds[g.n(len(ds))]
			for p := range t {
				if strings.HasPrefix(p, d+"/") {
					delete(t, p)
					st.deleted = true
				}
			}
			if t.fits(d) {
				t[d] = g.newBlob(false)
			}
		}
	}
	// Added files.
	for k := g.n(3); k > 0; k-- {
		p := g.newPath(t)
		t[p] = g.newBlob(!st.deleted)
	}
	return t, st
}

// addSame makes both sides add files at the same paths: the same content,
// different contents, one empty, different modes, or a file on one side
// where the other has a directory.
func (g *gen) addSame(ours, theirs treeSpec, oursDeleted, theirsDeleted bool) {
	for k := g.n(2); k > 0; k-- {
		p := g.newPath(ours)
		if !theirs.fits(p) {
			continue
		}
		a := g.newBlob(false)
		var b blobSpec
		switch g.n(6) {
		case 0:
			b = a
		case 1:
			b = g.newBlob(false)
		case 2:
			if !theirsDeleted {
				b = blobSpec{mode: modeFile}
			} else {
				b = g.newBlob(false)
			}
		case 3:
			b = a
			if a.mode == modeFile {
				b.mode = modeExec
			} else if a.mode == modeExec {
				b.mode = modeFile
			}
		case 4:
			// a directory on the other side
			q := p + "/" + g.token("f")
			ours[p] = a
			if theirs.fits(q) {
				theirs[q] = g.newBlob(false)
			}
			continue
		default:
			// both add text that shares lines
			ls := g.lines(2+g.n(4), false)
			ls2 := append([]string(nil), ls...)
			i := g.n(len(ls2))
			ls2[i] = g.token("l") + "\n"
			a = blobSpec{mode: modeFile, data: join(ls)}
			b = blobSpec{mode: modeFile, data: join(ls2)}
		}
		ours[p] = a
		theirs[p] = b
	}
}

func (g *gen) texture() {
	switch g.n(3) {
	case 0:
		g.repeat, g.vocab = 0.2, len(vocab)
	case 1:
		g.repeat, g.vocab = 0.5, len(vocab)
	default:
		g.repeat, g.vocab = 0.8, 2+g.n(3)
	}
}

func (g *gen) tick() int64 {
	g.when += 10 + int64(g.n(50))
	return g.when
}

func (g *gen) simpleCase(id int) genCase {
	c := genCase{id: id, kind: "simple", oursAt: 1, theirsAt: 2}
	g.texture()
	base := g.baseTree()
	pBoth := g.rng.Float64() * 0.6
	ours, ost := g.side(base, nil, 0)
	theirs, tst := g.side(base, ost, pBoth)
	if g.p(0.2) {
		g.addSame(ours, theirs, ost.deleted, tst.deleted)
	}
	ours.sanitize()
	theirs.sanitize()
	c.commits = []commitSpec{
		{tree: base, when: g.tick()},
		{parents: []int{0}, tree: ours, when: g.tick()},
		{parents: []int{0}, tree: theirs, when: g.tick()},
	}
	return c
}

// dfClash reports whether a has a file where b has a directory or the
// other way round.
func dfClash(a, b treeSpec) bool {
	for _, d := range a.dirs() {
		if _, ok := b[d]; ok {
			return true
		}
	}
	for _, d := range b.dirs() {
		if _, ok := a[d]; ok {
			return true
		}
	}
	return false
}

// textCase is a single-file case that stresses the line merge: longer
// files, many correlated edits, text from varied to so repetitive that
// every line occurs more than 64 times (where git's histogram diff falls
// back to the classic one).
func (g *gen) textCase(id int) genCase {
	c := genCase{id: id, kind: "text", oursAt: 1, theirsAt: 2}
	g.scope = "f.txt"
	var base []string
	switch g.n(6) {
	case 0:
		g.repeat, g.vocab = 1, 2+g.n(2)
		if g.p(0.5) {
			g.repeat = 0.985
		}
		base = g.lines(140+g.n(120), true)
	case 1, 2:
		g.repeat, g.vocab = 0.8, 2+g.n(4)
		base = g.lines(10+g.n(110), true)
	default:
		g.texture()
		base = g.lines(5+g.n(40), true)
	}
	if g.p(0.05) {
		base = g.crlf(base)
	}
	if g.p(0.15) {
		base[len(base)-1] = strings.TrimRight(base[len(base)-1], "\r\n") + "eof"
	}
	data := join(base)
	side := func(ref []lineEdit) ([]byte, []lineEdit) {
		var out []byte
		var all []lineEdit
		out = data
		for k := 1 + g.n(2); k > 0; k-- {
			var es []lineEdit
			if k == 1 {
				out, es = g.editText(data, ref)
			} else {
				out, es = g.editText(data, nil)
			}
			all = append(all, es...)
		}
		return out, all
	}
	ours, oes := side(nil)
	theirs, _ := side(oes)
	mode := uint32(modeFile)
	c.commits = []commitSpec{
		{tree: treeSpec{"f.txt": {mode: mode, data: data}}, when: g.tick()},
		{parents: []int{0}, tree: treeSpec{"f.txt": {mode: mode, data: ours}}, when: g.tick()},
		{parents: []int{0}, tree: treeSpec{"f.txt": {mode: mode, data: theirs}}, when: g.tick()},
	}
	return c
}

// mix takes each path's version from p or q.
func (g *gen) mix(p, q treeSpec) treeSpec {
	t := treeSpec{}
	all := map[string]bool{}
	for k := range p {
		all[k] = true
	}
	for k := range q {
		all[k] = true
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, inP := p[k]
		b, inQ := q[k]
		switch {
		case inP && inQ:
			if g.p(0.5) {
				t[k] = a
			} else {
				t[k] = b
			}
		case inP && g.p(0.8):
			t[k] = a
		case inQ && g.p(0.5):
			t[k] = b
		}
	}
	t.sanitize()
	return t
}

// crissCross makes a history with two (or three) merge bases: branches
// X1, Y1 (and Z1) from a base, then ours and theirs each merge all of them
// with different resolutions, and maybe change more.
func (g *gen) crissCross(id int, three bool) genCase {
	c := genCase{id: id, kind: "criss-cross"}
	g.texture()
	if three {
		c.kind = "three-bases"
	}
	base := g.baseTree()
	x1, xst := g.side(base, nil, 0)
	x1.sanitize()
	// Bases that conflict file/directory make ort's virtual base hold
	// "path~Temporary merge branch N", which git's rename detection then
	// pairs with "path"; keep those out (see the rename note at the top).
	var y1 treeSpec
	for y1 == nil || dfClash(x1, y1) {
		y1, _ = g.side(base, xst, 0.5)
		y1.sanitize()
	}
	c.commits = []commitSpec{{tree: base, when: g.tick()}}
	// X1 and Y1 in random date order.
	wx, wy := g.tick(), g.tick()
	if g.p(0.5) {
		wx, wy = wy, wx
	}
	c.commits = append(c.commits,
		commitSpec{parents: []int{0}, tree: x1, when: wx},
		commitSpec{parents: []int{0}, tree: y1, when: wy})
	tips := []int{1, 2}
	if three {
		var z1 treeSpec
		for z1 == nil || dfClash(x1, z1) || dfClash(y1, z1) {
			z1, _ = g.side(base, xst, 0.3)
			z1.sanitize()
		}
		c.commits = append(c.commits, commitSpec{parents: []int{0}, tree: z1, when: g.tick()})
		tips = append(tips, 3)
	}
	x2 := g.mix(x1, y1)
	y2 := g.mix(y1, x1)
	if three {
		x2 = g.mix(x2, c.commits[3].tree)
		y2 = g.mix(c.commits[3].tree, y2)
	}
	rev := append([]int(nil), tips...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	ox, ost := g.side(x2, nil, 0)
	ty, _ := g.side(y2, ost, 0.3)
	ox.sanitize()
	ty.sanitize()
	n := len(c.commits)
	c.commits = append(c.commits,
		commitSpec{parents: tips, tree: x2, when: g.tick()},
		commitSpec{parents: rev, tree: y2, when: g.tick()})
	c.oursAt, c.theirsAt = n, n+1
	if g.p(0.5) {
		c.commits = append(c.commits,
			commitSpec{parents: []int{n}, tree: ox, when: g.tick()},
			commitSpec{parents: []int{n + 1}, tree: ty, when: g.tick()})
		c.oursAt, c.theirsAt = n+2, n+3
	}
	return c
}

// importCases writes all cases with one `git fast-import` (every commit on
// one scratch branch, reset before each, parents given by mark) and sets
// each case's ours and theirs to the imported commit ids.
func importCases(g *gitRunner, cases []genCase) error {
	var b bytes.Buffer
	mark := 0
	marks := make([][]int, len(cases))
	for ci, c := range cases {
		marks[ci] = make([]int, len(c.commits))
		for i, cm := range c.commits {
			mark++
			marks[ci][i] = mark
			fmt.Fprintf(&b, "reset refs/merge3/scratch\ncommit refs/merge3/scratch\nmark :%d\n", mark)
			fmt.Fprintf(&b, "author T <t@example.invalid> %d +0000\n", cm.when)
			fmt.Fprintf(&b, "committer T <t@example.invalid> %d +0000\n", cm.when)
			fmt.Fprintf(&b, "data 0\n")
			for k, p := range cm.parents {
				if k == 0 {
					fmt.Fprintf(&b, "from :%d\n", marks[ci][p])
				} else {
					fmt.Fprintf(&b, "merge :%d\n", marks[ci][p])
				}
			}
			b.WriteString("deleteall\n")
			for _, p := range cm.tree.paths() {
				f := cm.tree[p]
				if f.mode == modeGitlink {
					fmt.Fprintf(&b, "M %o %s %s\n", f.mode, f.data, p)
					continue
				}
				fmt.Fprintf(&b, "M %o inline %s\ndata %d\n", f.mode, p, len(f.data))
				b.Write(f.data)
				b.WriteString("\n")
			}
			b.WriteString("\n")
		}
	}
	marksFile := g.dir + "/.git/merge3-marks"
	if _, _, err := g.run(b.Bytes(), nil, "-c", "core.fsync=none", "fast-import", "--quiet", "--export-marks="+marksFile); err != nil {
		return err
	}
	data, err := os.ReadFile(marksFile)
	if err != nil {
		return err
	}
	ids := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m int
		var id string
		if _, err := fmt.Sscanf(line, ":%d %s", &m, &id); err != nil {
			return fmt.Errorf("marks line %q: %w", line, err)
		}
		ids[m] = id
	}
	for ci := range cases {
		cases[ci].ours = ids[marks[ci][cases[ci].oursAt]]
		cases[ci].theirs = ids[marks[ci][cases[ci].theirsAt]]
	}
	return nil
}
