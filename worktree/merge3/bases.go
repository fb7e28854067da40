package merge3

import (
	"container/heap"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// node is a commit taking part in a merge: a real commit, read lazily, or
// the virtual commit ort makes by merging two merge bases (no id, date 0,
// the two merged commits as parents).
type node struct {
	id      plumbing.Hash // zero for a virtual commit
	tree    plumbing.Hash
	when    int64 // committer time, as git orders commits by
	parents []*node
	parsed  bool
}

// graph reads commits on demand and gives each one node.
type graph struct {
	s     storer.EncodedObjectStorer
	nodes map[plumbing.Hash]*node
}

func newGraph(s storer.EncodedObjectStorer) *graph {
	return &graph{s: s, nodes: make(map[plumbing.Hash]*node)}
}

func (g *graph) node(id plumbing.Hash) *node {
	n, ok := g.nodes[id]
	if !ok {
		n = &node{id: id}
		g.nodes[id] = n
	}
	return n
}

func (g *graph) parse(n *node) error {
	if n.parsed {
		return nil
	}
	c, err := object.GetCommit(g.s, n.id)
	if err != nil {
		return fmt.Errorf("read commit %s: %w", n.id, err)
	}
	n.tree = c.TreeHash
	n.when = c.Committer.When.Unix()
	n.parents = make([]*node, len(c.ParentHashes))
	for i, p := range c.ParentHashes {
		n.parents[i] = g.node(p)
	}
	n.parsed = true
	return nil
}

// Flags of a paint-down walk, as in git's commit-reach.c.
const (
	parent1 = 1 << iota
	parent2
	stale
	result
)

// dateQueue is git's prio_queue ordered by commit date, newest first,
// first in first out among equal dates.
type dateQueue struct {
	items []queued
	ctr   int
}

type queued struct {
	n   *node
	ctr int
}

func (q *dateQueue) Len() int { return len(q.items) }
func (q *dateQueue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if a.n.when != b.n.when {
		return a.n.when > b.n.when
	}
	return a.ctr < b.ctr
}
func (q *dateQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *dateQueue) Push(x any)    { q.items = append(q.items, x.(queued)) }
func (q *dateQueue) Pop() any {
	it := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return it
}
func (q *dateQueue) put(n *node) {
	q.ctr++
	heap.Push(q, queued{n: n, ctr: q.ctr})
}

// insertByDate is commit_list_insert_by_date: after every commit at least
// as new.
func insertByDate(list []*node, n *node) []*node {
	i := 0
	for i < len(list) && list[i].when >= n.when {
		i++
	}
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = n
	return list
}

// paintDown is git's paint_down_to_common: walk down from one (parent1)
// and twos (parent2) newest first until only stale commits are queued;
// commits reached from both sides are the candidates, newest first.
func (g *graph) paintDown(one *node, twos []*node) ([]*node, map[*node]uint8, error) {
	flags := map[*node]uint8{one: parent1}
	var q dateQueue
	q.put(one)
	for _, t := range twos {
		flags[t] |= parent2
		q.put(t)
	}
	var res []*node
	for {
		nonstale := false
		for _, it := range q.items {
			if flags[it.n]&stale == 0 {
				nonstale = true
				break
			}
		}
		if !nonstale {
			break
		}
		c := heap.Pop(&q).(queued).n
		f := flags[c] & (parent1 | parent2 | stale)
		if f == parent1|parent2 {
			if flags[c]&result == 0 {
				flags[c] |= result
				res = insertByDate(res, c)
			}
			f |= stale
		}
		for _, p := range c.parents {
			if flags[p]&f == f {
				continue
			}
			if err := g.parse(p); err != nil {
				return nil, nil, err
			}
			flags[p] |= f
			q.put(p)
		}
	}
	return res, flags, nil
}

// mergeBases returns the best common ancestors of one (real or virtual)
// and two (real) in the order ort merges them: git's get_merge_bases
// (newest first, then remove_redundant) reversed.
func (g *graph) mergeBases(one, two *node) ([]*node, error) {
	if one == two {
		return []*node{one}, nil
	}
	cands, flags, err := g.paintDown(one, []*node{two})
	if err != nil {
		return nil, err
	}
	var list []*node
	for _, c := range cands {
		if flags[c]&stale == 0 {
			list = insertByDate(list, c)
		}
	}
	if len(list) > 1 {
		kept, err := g.removeRedundant(list)
		if err != nil {
			return nil, err
		}
		list = nil
		for _, c := range kept {
			list = insertByDate(list, c)
		}
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list, nil
}

// removeRedundant drops every candidate that is an ancestor of another
// (remove_redundant_no_gen).
func (g *graph) removeRedundant(cands []*node) ([]*node, error) {
	redundant := make([]bool, len(cands))
	for i := range cands {
		if redundant[i] {
			continue
		}
		var work []*node
		var idx []int
		for j := range cands {
			if i == j || redundant[j] {
				continue
			}
			work = append(work, cands[j])
			idx = append(idx, j)
		}
		_, flags, err := g.paintDown(cands[i], work)
		if err != nil {
			return nil, err
		}
		if flags[cands[i]]&parent2 != 0 {
			redundant[i] = true
		}
		for k, w := range work {
			if flags[w]&parent1 != 0 {
				redundant[idx[k]] = true
			}
		}
	}
	var out []*node
	for i, c := range cands {
		if !redundant[i] {
			out = append(out, c)
		}
	}
	return out, nil
}

const (
	virtualBranch1 = "Temporary merge branch 1"
	virtualBranch2 = "Temporary merge branch 2"
)

// mergeCommits is ort's merge_ort_internal at the top level.
func mergeCommits(objs *objects, c1, c2 *object.Commit, label1, label2 string) (outcome, error) {
	g := newGraph(objs.s)
	n1, n2 := g.node(c1.Hash), g.node(c2.Hash)
	if err := g.parse(n1); err != nil {
		return outcome{}, err
	}
	if err := g.parse(n2); err != nil {
		return outcome{}, err
	}
	m, err := g.mergeNodes(objs, n1, n2, label1, label2, 0)
	if err != nil {
		return outcome{}, err
	}
	return outcome{tree: m.tree, conflicts: m.conflicts}, nil
}

type merged struct {
	tree      plumbing.Hash
	conflicts []conflictRec
}

// mergeNodes finds the merge bases, merges them pairwise (oldest first)
// into one virtual base at the next depth, then merges the two commits'
// trees against it.
func (g *graph) mergeNodes(objs *objects, h1, h2 *node, label1, label2 string, depth int) (merged, error) {
	bases, err := g.mergeBases(h1, h2)
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
			inner, err := g.mergeNodes(objs, v, next, virtualBranch1, virtualBranch2, depth+1)
			if err != nil {
				return merged{}, err
			}
			v = &node{tree: inner.tree, parents: []*node{v, next}, parsed: true}
		}
		base = v.tree
	}
	p := &pass{objs: objs, depth: depth, branch1: label1, branch2: label2}
	tree, err := p.mergeRoot(base, h1.tree, h2.tree)
	if err != nil {
		return merged{}, err
	}
	return merged{tree: tree, conflicts: p.conflicts}, nil
}
