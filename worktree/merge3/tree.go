package merge3

import (
	"bytes"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// conflictRec is one conflicted path as git would list it (gitPath, which
// differs from path when git moves a version out of the way, "a~ours"),
// with the path it came from and why it conflicts.
type conflictRec struct {
	gitPath string
	path    string
	kind    ConflictKind
}

// pass is one tree merge: the top-level one (depth 0) or the merge of merge
// bases into a virtual base (depth 1 and more), which resolves some
// conflicts differently, as ort's call_depth does.
type pass struct {
	objs             *objects
	depth            int
	branch1, branch2 string
	conflicts        []conflictRec
}

// mergeRoot merges three root trees (the zero hash is an empty tree) and
// returns the merged tree, conflicts or not.
func (p *pass) mergeRoot(base, ours, theirs plumbing.Hash) (plumbing.Hash, error) {
	norm := func(h plumbing.Hash) plumbing.Hash {
		if h == emptyTree {
			return plumbing.ZeroHash
		}
		return h
	}
	base, ours, theirs = norm(base), norm(ours), norm(theirs)
	switch {
	case ours == base:
		return orEmpty(theirs), nil
	case theirs == base, ours == theirs:
		return orEmpty(ours), nil
	}
	es, err := p.mergeDir("", base, ours, theirs)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return p.objs.putTree(es), nil
}

func orEmpty(h plumbing.Hash) plumbing.Hash {
	if h.IsZero() {
		return emptyTree
	}
	return h
}

// mergeDir merges the directory dir ("" at the root, else ending in "/")
// given as three trees, any of them absent (zero), and returns its entries.
func (p *pass) mergeDir(dir string, base, ours, theirs plumbing.Hash) ([]treeEntry, error) {
	var sides [3][]treeEntry
	for i, h := range [3]plumbing.Hash{base, ours, theirs} {
		es, err := p.objs.tree(h)
		if err != nil {
			return nil, err
		}
		sides[i] = es
	}
	type trio [3]entry
	byName := make(map[string]*trio)
	var names []string
	for i, es := range sides {
		for _, e := range es {
			t, ok := byName[e.name]
			if !ok {
				t = new(trio)
				byName[e.name] = t
				names = append(names, e.name)
			}
			t[i] = e.entry
		}
	}
	sort.Strings(names)
	taken := make(map[string]bool, len(names))
	for _, n := range names {
		taken[n] = true
	}
	var out []treeEntry
	for _, name := range names {
		t := byName[name]
		res, err := p.mergeEntry(dir, name, t[0], t[1], t[2], taken)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	return out, nil
}

func same(a, b entry) bool { return a.present() && b.present() && a == b }

func dirOnly(e entry) entry {
	if e.isDir() {
		return e
	}
	return entry{}
}

func fileOnly(e entry) entry {
	if e.isFile() {
		return e
	}
	return entry{}
}

func mask(b, o, t entry, f func(entry) bool) int {
	m := 0
	for i, e := range [3]entry{b, o, t} {
		if f(e) {
			m |= 1 << i
		}
	}
	return m
}

// uniqueName is ort's unique_path for a name inside one directory:
// "name~branch" with slashes in branch flattened, then "_0", "_1", ... until
// the name is free.
func uniqueName(name, branch string, taken map[string]bool) string {
	base := name + "~" + strings.ReplaceAll(branch, "/", "_")
	n := base
	for i := 0; taken[n]; i++ {
		n = base + "_" + itoa(i)
	}
	taken[n] = true
	return n
}

func itoa(i int) string {
	var b [20]byte
	k := len(b)
	if i == 0 {
		return "0"
	}
	for i > 0 {
		k--
		b[k] = byte('0' + i%10)
		i /= 10
	}
	return string(b[k:])
}

// mergeEntry resolves one name of a directory, following merge-ort's
// collect_merge_info_callback and process_entry, and returns the entries
// the merged directory gets for it (none, one, or two when a file has to
// move out of a directory's way).
func (p *pass) mergeEntry(dir, name string, b, o, t entry, taken map[string]bool) ([]treeEntry, error) {
	one := func(e entry) []treeEntry {
		if !e.present() {
			return nil
		}
		return []treeEntry{{name: name, entry: e}}
	}
	if same(b, o) && same(o, t) {
		return one(b), nil
	}
	filemask := mask(b, o, t, entry.isFile)
	dirmask := mask(b, o, t, entry.isDir)
	if filemask == 7 {
		switch {
		case same(o, t), same(b, t):
			return one(o), nil
		case same(b, o):
			return one(t), nil
		}
	}

	// The directory part. A side that left it as the base had it means the
	// other side's version wins; ort gets there by recursing, we take the
	// tree as is, which gives the same result when renames are not detected.
	var dirRes entry
	if dirmask != 0 {
		bd, od, td := dirOnly(b), dirOnly(o), dirOnly(t)
		switch {
		case od == bd:
			dirRes = td
		case td == bd, od == td:
			dirRes = od
		default:
			es, err := p.mergeDir(dir+name+"/", bd.hash, od.hash, td.hash)
			if err != nil {
				return nil, err
			}
			if len(es) > 0 {
				dirRes = entry{mode: filemode.Dir, hash: p.objs.putTree(es)}
			}
		}
	}
	if filemask == 0 {
		return one(dirRes), nil
	}

	bf, of, tf := fileOnly(b), fileOnly(o), fileOnly(t)
	if dirmask == 0 || !dirRes.present() {
		// No directory, or it merged away: the file takes the path.
		return p.mergeFile(dir, name, name, bf, of, tf, false, taken)
	}
	if filemask == 1 {
		// Only the base had a file here: it is gone, the directory stays.
		return one(dirRes), nil
	}
	// A directory stays at the path; the file moves to name~<side it came
	// from> and is a conflict.
	branch := p.branch1
	if dirmask&2 != 0 {
		branch = p.branch2
	}
	moved := uniqueName(name, branch, taken)
	res, err := p.mergeFile(dir, name, moved, bf, of, tf, true, taken)
	if err != nil {
		return nil, err
	}
	return append([]treeEntry{{name: name, entry: dirRes}}, res...), nil
}

func (p *pass) conflict(gitPath, path string, k ConflictKind) {
	p.conflicts = append(p.conflicts, conflictRec{gitPath: gitPath, path: path, kind: k})
}

// mergeFile resolves the non-directory versions of a path (process_entry).
// orig is the name in the trees, name where the result goes; df says a
// directory took the path, so that the result conflicts whatever it is.
func (p *pass) mergeFile(dir, orig, name string, b, o, t entry, df bool, taken map[string]bool) ([]treeEntry, error) {
	path := dir + orig
	at := func(n string, e entry) []treeEntry {
		if !e.present() {
			return nil
		}
		return []treeEntry{{name: n, entry: e}}
	}
	kindOr := func(k ConflictKind) ConflictKind {
		if df {
			return ConflictFileDirectory
		}
		return k
	}
	filemask := mask(b, o, t, entry.present)
	match := 0
	switch {
	case same(b, o):
		match = 3
	case same(b, t):
		match = 5
	case same(o, t):
		match = 6
	}
	switch {
	case match != 0:
		var res entry
		clean := !df
		switch match {
		case 6:
			res = o
		case 3:
			res = t
		case 5:
			res = o
		}
		if !res.present() {
			clean = true
		}
		if !clean {
			p.conflict(dir+name, path, ConflictFileDirectory)
		}
		return at(name, res), nil

	case filemask >= 6 && format(o.mode) != format(t.mode):
		if p.depth > 0 {
			p.conflict(dir+name, path, kindOr(ConflictType))
			return at(name, b), nil
		}
		renameA, renameB := true, false
		if !isRegular(o.mode) {
			if isRegular(t.mode) {
				renameA, renameB = false, true
			} else {
				renameB = true
			}
		}
		aName, bName := name, name
		if renameA {
			aName = uniqueName(name, p.branch1, taken)
		}
		if renameB {
			bName = uniqueName(name, p.branch2, taken)
		}
		p.conflict(dir+aName, path, kindOr(ConflictType))
		p.conflict(dir+bName, path, kindOr(ConflictType))
		return append(at(aName, o), at(bName, t)...), nil

	case filemask >= 6:
		res, clean, kind, err := p.mergeContent(b, o, t)
		if err != nil {
			return nil, err
		}
		if !clean || df {
			if filemask == 6 && kind == ConflictContent {
				kind = ConflictAddAdd
			}
			p.conflict(dir+name, path, kindOr(kind))
		}
		return at(name, res), nil

	case filemask == 3 || filemask == 5:
		res := o
		if filemask == 5 {
			res = t
		}
		if p.depth > 0 {
			res = b
		}
		p.conflict(dir+name, path, kindOr(ConflictModifyDelete))
		return at(name, res), nil

	case filemask == 2 || filemask == 4:
		res := o
		if filemask == 4 {
			res = t
		}
		if df {
			p.conflict(dir+name, path, ConflictFileDirectory)
		}
		return at(name, res), nil
	}
	// Deleted on both sides.
	return nil, nil
}

// mergeContent merges two versions of the same kind of file against a base
// (handle_content_merge): modes first, then contents.
func (p *pass) mergeContent(b, o, t entry) (entry, bool, ConflictKind, error) {
	clean := true
	kind := ConflictContent
	var res entry
	if o.mode == t.mode || o.mode == b.mode {
		res.mode = t.mode
	} else {
		res.mode = o.mode
		clean = t.mode == b.mode
		if !clean {
			kind = ConflictMode
		}
	}
	switch {
	case o.hash == t.hash || o.hash == b.hash:
		res.hash = t.hash
	case t.hash == b.hash:
		res.hash = o.hash
	case isRegular(o.mode):
		var baseData []byte
		var err error
		if format(b.mode) == format(o.mode) {
			if baseData, err = p.objs.blob(b.hash); err != nil {
				return entry{}, false, 0, err
			}
		}
		ours, err := p.objs.blob(o.hash)
		if err != nil {
			return entry{}, false, 0, err
		}
		theirs, err := p.objs.blob(t.hash)
		if err != nil {
			return entry{}, false, 0, err
		}
		var out []byte
		ok := true
		if isBinary(baseData) || isBinary(ours) || isBinary(theirs) {
			if p.depth > 0 {
				out = baseData
			} else {
				out, ok = ours, false
				kind = ConflictBinary
			}
		} else {
			var n int
			out, n = mergeText(baseData, ours, theirs, textLabels{
				ours: p.branch1, theirs: p.branch2, markerSize: 7 + 2*p.depth,
			})
			if n > 0 {
				ok = false
				kind = ConflictContent
			}
		}
		res.hash = p.objs.putBlob(out)
		clean = clean && ok
	case format(o.mode) == 0o160000:
		// merge_submodule: the submodule is not checked out here, so
		// this never resolves; ours stands, or the base in a virtual one.
		clean = false
		kind = ConflictSubmodule
		res.hash = o.hash
		if p.depth > 0 {
			res.hash = b.hash
			if format(b.mode) != format(o.mode) {
				res = entry{mode: b.mode, hash: b.hash}
			}
		}
	default: // symlink
		clean = false
		kind = ConflictSymlink
		res.hash = o.hash
		if p.depth > 0 {
			res = entry{mode: b.mode, hash: b.hash}
		}
	}
	return res, clean, kind, nil
}

// maxXdiffSize is the largest input git's xdiff merges; larger is binary.
const maxXdiffSize = 1024 * 1024 * 1023

// isBinary is git's buffer_is_binary: a NUL byte in the first 8000 bytes.
func isBinary(data []byte) bool {
	if len(data) > maxXdiffSize {
		return true
	}
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}
