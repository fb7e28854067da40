package merge3

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Sentinel errors. Returned errors wrap them with context; test with
// errors.Is. Missing objects wrap go-git's plumbing.ErrObjectNotFound.
var (
	// ErrUnknownRevision: a revision given to Commits names no commit.
	ErrUnknownRevision = errors.New("unknown revision")
	// ErrUnrelatedHistories: the two commits have no common ancestor;
	// `git merge-tree` refuses these too (without
	// --allow-unrelated-histories).
	ErrUnrelatedHistories = errors.New("refusing to merge unrelated histories")
)

// Options tune a merge.
type Options struct {
	// Write stores the blobs and trees the merge creates in the object
	// store, so that Result.Tree can be committed. Only a clean merge
	// writes anything. Without Write nothing is stored, and Result.Tree is
	// still the id git would give the tree.
	Write bool
}

// Result is the outcome of a merge.
type Result struct {
	// Tree is the hex id of the merged tree, the one `git merge-tree
	// --write-tree` prints; empty when the merge is not clean.
	Tree string
	// Clean is true when the merge has no conflicts.
	Clean bool
	// Conflicts lists the conflicting paths, sorted, one entry per path.
	Conflicts []Conflict
}

// Conflict is one conflicting path.
type Conflict struct {
	// Path is the path in the merged trees, slash-separated. Where git
	// moves a version aside ("a~ours" for a file/directory or file/symlink
	// conflict), Path is still the original path "a".
	Path string
	Kind ConflictKind
}

// ConflictKind says why a path conflicts.
type ConflictKind int

const (
	// ConflictContent: both sides changed a text file and some of their
	// changes overlap or touch.
	ConflictContent ConflictKind = iota + 1
	// ConflictAddAdd: both sides added the file with different contents
	// that do not merge (with an empty base, as git does).
	ConflictAddAdd
	// ConflictBinary: both sides changed a binary file (one with a NUL
	// byte in its first 8000 bytes) differently.
	ConflictBinary
	// ConflictModifyDelete: one side changed the file, the other deleted it.
	ConflictModifyDelete
	// ConflictFileDirectory: one side has a file where the other has a
	// directory with files in it; git moves the file to "path~side".
	ConflictFileDirectory
	// ConflictMode: the contents merge, but the sides disagree on the
	// executable bit (both added the file with different modes).
	ConflictMode
	// ConflictType: the sides have different kinds of entries at the path
	// (file, symlink, submodule).
	ConflictType
	// ConflictSymlink: both sides changed a symlink's target differently.
	ConflictSymlink
	// ConflictSubmodule: both sides moved a submodule to different commits.
	ConflictSubmodule
)

var kindNames = [...]string{
	ConflictContent:       "content",
	ConflictAddAdd:        "add/add",
	ConflictBinary:        "binary",
	ConflictModifyDelete:  "modify/delete",
	ConflictFileDirectory: "file/directory",
	ConflictMode:          "mode",
	ConflictType:          "distinct types",
	ConflictSymlink:       "symlink",
	ConflictSubmodule:     "submodule",
}

func (k ConflictKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ConflictKind(%d)", int(k))
}

// outcome is a merge's full result, including what callers do not see: the
// tree git writes for a conflicted merge and the paths git lists.
type outcome struct {
	tree      plumbing.Hash
	conflicts []conflictRec
}

func (o outcome) result() Result {
	if len(o.conflicts) == 0 {
		return Result{Tree: o.tree.String(), Clean: true}
	}
	kinds := make(map[string]ConflictKind)
	for _, c := range o.conflicts {
		if _, ok := kinds[c.path]; !ok {
			kinds[c.path] = c.kind
		}
	}
	r := Result{Conflicts: make([]Conflict, 0, len(kinds))}
	for p, k := range kinds {
		r.Conflicts = append(r.Conflicts, Conflict{Path: p, Kind: k})
	}
	sort.Slice(r.Conflicts, func(i, j int) bool { return r.Conflicts[i].Path < r.Conflicts[j].Path })
	return r
}

// Trees merges the trees ours and theirs against base in memory and
// returns the merged tree when the merge is clean. A zero base (or any zero
// hash) stands for the empty tree. Conflict markers would carry the labels
// "ours" and "theirs"; they only matter for conflicted merges, whose tree is
// not returned.
func Trees(s storer.EncodedObjectStorer, base, ours, theirs plumbing.Hash, opts Options) (Result, error) {
	for _, h := range []plumbing.Hash{base, ours, theirs} {
		if h.IsZero() || h == emptyTree {
			continue
		}
		if _, err := s.EncodedObject(plumbing.TreeObject, h); err != nil {
			return Result{}, fmt.Errorf("merge tree %s with %s (base %s): tree %s: %w", ours, theirs, base, h, err)
		}
	}
	objs := newObjects(s)
	p := &pass{objs: objs, branch1: "ours", branch2: "theirs"}
	tree, err := p.mergeRoot(base, ours, theirs)
	if err != nil {
		return Result{}, fmt.Errorf("merge tree %s with %s (base %s): %w", ours, theirs, base, err)
	}
	out := outcome{tree: tree, conflicts: p.conflicts}
	if err := finish(objs, out, opts); err != nil {
		return Result{}, fmt.Errorf("merge tree %s with %s (base %s): %w", ours, theirs, base, err)
	}
	return out.result(), nil
}

// Commits merges the commits named by the revisions ours and theirs (branch
// names, hex ids, anything go-git's ResolveRevision takes) the way `git
// merge-tree --write-tree ours theirs` does, without touching any work tree,
// index or ref. With several merge bases they are first merged into a
// virtual base, as git's ort strategy does.
func Commits(repo *git.Repository, ours, theirs string, opts Options) (Result, error) {
	fail := func(err error) (Result, error) {
		return Result{}, fmt.Errorf("merge %s with %s: %w", ours, theirs, err)
	}
	c1, err := resolveCommit(repo, ours)
	if err != nil {
		return fail(err)
	}
	c2, err := resolveCommit(repo, theirs)
	if err != nil {
		return fail(err)
	}
	objs := newObjects(repo.Storer)
	out, err := mergeCommits(objs, c1, c2, ours, theirs)
	if err != nil {
		return fail(err)
	}
	if err := finish(objs, out, opts); err != nil {
		return fail(err)
	}
	return out.result(), nil
}

// resolveCommit finds the commit a revision names. Full ids and ref names
// are looked up directly, in git's order (refs win over abbreviated ids);
// anything else (abbreviations, ~, ^) goes through go-git's
// ResolveRevision, which scans the object directories for abbreviations.
func resolveCommit(repo *git.Repository, rev string) (*object.Commit, error) {
	var h plumbing.Hash
	switch ref := lookupRef(repo, rev); {
	case plumbing.IsHash(rev):
		h = plumbing.NewHash(rev)
	case ref != nil:
		h = ref.Hash()
	default:
		p, err := repo.ResolveRevision(plumbing.Revision(rev))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrUnknownRevision, rev, err)
		}
		h = *p
	}
	c, err := repo.CommitObject(h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		if tag, terr := repo.TagObject(h); terr == nil {
			c, err = tag.Commit()
		}
	}
	if err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, fmt.Errorf("%w: %s is not a commit", ErrUnknownRevision, rev)
		}
		return nil, fmt.Errorf("read commit %s: %w", rev, err)
	}
	return c, nil
}

// lookupRef expands a ref name the way git does (rev, refs/rev,
// refs/tags/rev, refs/heads/rev, refs/remotes/rev, refs/remotes/rev/HEAD).
func lookupRef(repo *git.Repository, rev string) *plumbing.Reference {
	if rev == "" || strings.ContainsAny(rev, "~^:@{} \t\n\\?*[") {
		return nil
	}
	for _, f := range []string{"%s", "refs/%s", "refs/tags/%s", "refs/heads/%s", "refs/remotes/%s", "refs/remotes/%s/HEAD"} {
		ref, err := repo.Reference(plumbing.ReferenceName(fmt.Sprintf(f, rev)), true)
		if err == nil {
			return ref
		}
	}
	return nil
}

func finish(objs *objects, out outcome, opts Options) error {
	if !opts.Write || len(out.conflicts) > 0 {
		return nil
	}
	return objs.persist(out.tree)
}
