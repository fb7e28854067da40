package merge3

import (
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// node is a commit taking part in a merge: a real commit, or the virtual
// commit ort makes by merging two merge bases (its parents are those two).
type node struct {
	commit  *object.Commit // nil for a virtual commit
	tree    plumbing.Hash
	parents []*node
}

func realNode(c *object.Commit) *node { return &node{commit: c, tree: c.TreeHash} }

// tips returns the real commits whose histories together make up n's.
func (n *node) tips() []*object.Commit {
	if n.commit != nil {
		return []*object.Commit{n.commit}
	}
	var out []*object.Commit
	for _, p := range n.parents {
		out = append(out, p.tips()...)
	}
	return out
}

// mergeBases returns the best common ancestors of a (real or virtual) and
// b (real), oldest first: the order in which ort merges them (it reverses
// git's newest-first list). Commits with equal committer dates keep the
// order go-git gives them, which may differ from git's.
func mergeBases(a *node, b *object.Commit) ([]*node, error) {
	var cands []*object.Commit
	tips := a.tips()
	for _, t := range tips {
		bs, err := t.MergeBase(b)
		if err != nil {
			return nil, fmt.Errorf("merge base of %s and %s: %w", t.Hash, b.Hash, err)
		}
		cands = append(cands, bs...)
	}
	if len(tips) > 1 && len(cands) > 1 {
		var err error
		if cands, err = object.Independents(cands); err != nil {
			return nil, fmt.Errorf("merge bases of %s: %w", b.Hash, err)
		}
	}
	out := make([]*node, len(cands))
	for i, c := range cands {
		out[len(cands)-1-i] = realNode(c)
	}
	return out, nil
}

const (
	virtualBranch1 = "Temporary merge branch 1"
	virtualBranch2 = "Temporary merge branch 2"
)

// mergeCommits is ort's merge_ort_internal: find the merge bases, merge
// them pairwise (oldest first) into one virtual base at the next depth,
// then merge the two commits' trees against it.
func mergeCommits(objs *objects, c1, c2 *object.Commit, label1, label2 string) (outcome, error) {
	p, err := mergeNodes(objs, realNode(c1), c2, label1, label2, 0)
	if err != nil {
		return outcome{}, err
	}
	return outcome{tree: p.tree, conflicts: p.conflicts}, nil
}

type merged struct {
	tree      plumbing.Hash
	conflicts []conflictRec
}

func mergeNodes(objs *objects, h1 *node, h2 *object.Commit, label1, label2 string, depth int) (merged, error) {
	bases, err := mergeBases(h1, h2)
	if err != nil {
		return merged{}, err
	}
	base := emptyTree
	if len(bases) == 0 {
		if depth == 0 {
			return merged{}, ErrUnrelatedHistories
		}
	} else {
		v := bases[0]
		for _, next := range bases[1:] {
			inner, err := mergeNodes(objs, v, next.commit, virtualBranch1, virtualBranch2, depth+1)
			if err != nil {
				return merged{}, err
			}
			v = &node{tree: inner.tree, parents: []*node{v, next}}
		}
		base = v.tree
	}
	p := &pass{objs: objs, depth: depth, branch1: label1, branch2: label2}
	tree, err := p.mergeRoot(base, h1.tree, h2.TreeHash)
	if err != nil {
		return merged{}, err
	}
	return merged{tree: tree, conflicts: p.conflicts}, nil
}
