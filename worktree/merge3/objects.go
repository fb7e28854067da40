package merge3

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// emptyTree is the id of the tree with no entries, which git knows without
// storing it.
var emptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbe4904b")

// entry is one side's version of a path: mode 0 means absent.
type entry struct {
	mode filemode.FileMode
	hash plumbing.Hash
}

func (e entry) present() bool { return e.mode != filemode.Empty }
func (e entry) isDir() bool   { return e.mode == filemode.Dir }
func (e entry) isFile() bool  { return e.present() && !e.isDir() }

// format is the S_IFMT part of a mode: regular file, symlink, gitlink, tree.
func format(m filemode.FileMode) uint32 { return uint32(m) & 0o170000 }

func isRegular(m filemode.FileMode) bool { return format(m) == 0o100000 }

type treeEntry struct {
	name string
	entry
}

// canonMode normalises a tree entry mode the way git's canon_mode does.
func canonMode(m uint32) filemode.FileMode {
	switch m & 0o170000 {
	case 0o040000:
		return filemode.Dir
	case 0o100000:
		if m&0o100 != 0 {
			return filemode.Executable
		}
		return filemode.Regular
	case 0o120000:
		return filemode.Symlink
	default:
		return filemode.Submodule
	}
}

// objects reads from a store and keeps the objects a merge creates in
// memory, so that nothing is written unless asked for.
type objects struct {
	s       storer.EncodedObjectStorer
	created map[plumbing.Hash]memObject
	trees   map[plumbing.Hash][]treeEntry
}

type memObject struct {
	typ  plumbing.ObjectType
	data []byte
}

func newObjects(s storer.EncodedObjectStorer) *objects {
	return &objects{
		s:       s,
		created: make(map[plumbing.Hash]memObject),
		trees:   make(map[plumbing.Hash][]treeEntry),
	}
}

func (o *objects) read(typ plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	if m, ok := o.created[h]; ok {
		return m.data, nil
	}
	if typ == plumbing.TreeObject && h == emptyTree {
		return nil, nil
	}
	obj, err := o.s.EncodedObject(typ, h)
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", typ, h, err)
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", typ, h, err)
	}
	defer r.Close()
	buf := make([]byte, 0, obj.Size())
	w := bytes.NewBuffer(buf)
	if _, err := io.Copy(w, r); err != nil {
		return nil, fmt.Errorf("read %s %s: %w", typ, h, err)
	}
	return w.Bytes(), nil
}

// blob returns a blob's content; the zero hash reads as empty.
func (o *objects) blob(h plumbing.Hash) ([]byte, error) {
	if h.IsZero() {
		return nil, nil
	}
	return o.read(plumbing.BlobObject, h)
}

var errMalformedTree = errors.New("malformed tree")

// tree returns the entries of a tree; the zero hash is an empty tree.
func (o *objects) tree(h plumbing.Hash) ([]treeEntry, error) {
	if h.IsZero() {
		return nil, nil
	}
	if es, ok := o.trees[h]; ok {
		return es, nil
	}
	data, err := o.read(plumbing.TreeObject, h)
	if err != nil {
		return nil, err
	}
	var es []treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp <= 0 {
			return nil, fmt.Errorf("tree %s: %w", h, errMalformedTree)
		}
		mode, err := strconv.ParseUint(string(data[:sp]), 8, 32)
		if err != nil {
			return nil, fmt.Errorf("tree %s: %w: mode %q", h, errMalformedTree, data[:sp])
		}
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul <= 0 || len(data) < nul+1+20 {
			return nil, fmt.Errorf("tree %s: %w", h, errMalformedTree)
		}
		var id plumbing.Hash
		copy(id[:], data[nul+1:nul+21])
		es = append(es, treeEntry{name: string(data[:nul]), entry: entry{mode: canonMode(uint32(mode)), hash: id}})
		data = data[nul+21:]
	}
	o.trees[h] = es
	return es, nil
}

func (o *objects) put(typ plumbing.ObjectType, data []byte) plumbing.Hash {
	h := plumbing.ComputeHash(typ, data)
	if _, ok := o.created[h]; !ok {
		o.created[h] = memObject{typ: typ, data: data}
	}
	return h
}

func (o *objects) putBlob(data []byte) plumbing.Hash { return o.put(plumbing.BlobObject, data) }

// sortName is the key git sorts tree entries by: directories as if their
// name ended in a slash.
func sortName(e treeEntry) string {
	if e.isDir() {
		return e.name + "/"
	}
	return e.name
}

// putTree encodes entries (in any order) as a git tree.
func (o *objects) putTree(es []treeEntry) plumbing.Hash {
	sort.Slice(es, func(i, j int) bool { return sortName(es[i]) < sortName(es[j]) })
	n := 0
	for _, e := range es {
		n += 6 + 1 + len(e.name) + 1 + 20
	}
	buf := make([]byte, 0, n)
	for _, e := range es {
		buf = strconv.AppendUint(buf, uint64(e.mode), 8)
		buf = append(buf, ' ')
		buf = append(buf, e.name...)
		buf = append(buf, 0)
		buf = append(buf, e.hash[:]...)
	}
	h := o.put(plumbing.TreeObject, buf)
	o.trees[h] = es
	return h
}

// persist stores every object created in memory that the tree root reaches.
func (o *objects) persist(root plumbing.Hash) error {
	done := make(map[plumbing.Hash]bool)
	var walk func(h plumbing.Hash) error
	walk = func(h plumbing.Hash) error {
		m, ok := o.created[h]
		if !ok || done[h] {
			return nil
		}
		done[h] = true
		if m.typ == plumbing.TreeObject {
			for _, e := range o.trees[h] {
				if e.isDir() || format(e.mode) != 0o160000 {
					if err := walk(e.hash); err != nil {
						return err
					}
				}
			}
		}
		obj := o.s.NewEncodedObject()
		obj.SetType(m.typ)
		obj.SetSize(int64(len(m.data)))
		w, err := obj.Writer()
		if err != nil {
			return err
		}
		if _, err := w.Write(m.data); err != nil {
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		if _, err := o.s.SetEncodedObject(obj); err != nil {
			return fmt.Errorf("store %s %s: %w", m.typ, h, err)
		}
		return nil
	}
	if root == emptyTree {
		if _, ok := o.created[root]; !ok {
			if err := o.s.HasEncodedObject(root); err != nil {
				o.put(plumbing.TreeObject, nil)
			}
		}
	}
	return walk(root)
}
