package merge3_test

import (
	"fmt"
	"sort"

	"github.com/cadre-dev/cadre/worktree/merge3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// flatTree stores files (no directories) as a tree in s.
func flatTree(s *memory.Storage, files map[string]string) plumbing.Hash {
	var t object.Tree
	for name, content := range files {
		b := s.NewEncodedObject()
		b.SetType(plumbing.BlobObject)
		w, _ := b.Writer()
		w.Write([]byte(content))
		w.Close()
		h, _ := s.SetEncodedObject(b)
		t.Entries = append(t.Entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h})
	}
	sort.Sort(object.TreeEntrySorter(t.Entries))
	o := s.NewEncodedObject()
	t.Encode(o)
	h, _ := s.SetEncodedObject(o)
	return h
}

func ExampleTrees() {
	s := memory.NewStorage()
	base := flatTree(s, map[string]string{"greeting.txt": "hello\nbrave\nworld\n"})
	ours := flatTree(s, map[string]string{"greeting.txt": "Hello\nbrave\nworld\n"})
	theirs := flatTree(s, map[string]string{"greeting.txt": "hello\nbrave\nworld!\n", "new.txt": "added\n"})

	// Changes with an unchanged line between them merge.
	res, err := merge3.Trees(s, base, ours, theirs, merge3.Options{})
	fmt.Println(res.Clean, res.Tree, err)

	// Changes to adjacent lines conflict, as in git.
	theirs = flatTree(s, map[string]string{"greeting.txt": "hello\nshy\nworld\n"})
	res, err = merge3.Trees(s, base, ours, theirs, merge3.Options{})
	fmt.Println(res.Clean, res.Conflicts, err)
	// Output:
	// true cfe4aabc63b4cf1105e699ff8e0c3fb47003eb4a <nil>
	// false [{greeting.txt content}] <nil>
}
