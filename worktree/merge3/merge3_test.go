package merge3

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// threeWay makes a repository with base, and ours and theirs on top of it
// as branches named ours and theirs.
func threeWay(t *testing.T, base, ours, theirs treeSpec) (*gitRunner, *git.Repository) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed:", err)
	}
	g := initRepo(t)
	c := []genCase{{oursAt: 1, theirsAt: 2, commits: []commitSpec{
		{tree: base, when: 1700000000},
		{parents: []int{0}, tree: ours, when: 1700000060},
		{parents: []int{0}, tree: theirs, when: 1700000120},
	}}}
	if err := importCases(g, c); err != nil {
		t.Fatal(err)
	}
	g.must(t, "update-ref", "refs/heads/main", c[0].ours+"^")
	g.must(t, "branch", "ours", c[0].ours)
	g.must(t, "branch", "theirs", c[0].theirs)
	repo, err := git.PlainOpen(g.dir)
	if err != nil {
		t.Fatal(err)
	}
	return g, repo
}

func text(s string) blobSpec { return blobSpec{mode: modeFile, data: []byte(s)} }

func TestCommitsWrite(t *testing.T) {
	g, repo := threeWay(t,
		treeSpec{"a.txt": text("1\n2\n3\n4\n5\n"), "d/b.txt": text("b\n")},
		treeSpec{"a.txt": text("one\n2\n3\n4\n5\n"), "d/b.txt": text("b\n")},
		treeSpec{"a.txt": text("1\n2\n3\n4\nfive\n"), "d/b.txt": text("b\n"), "d/c.txt": text("c\n")})

	res, err := Commits(repo, "ours", "theirs", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Clean || res.Tree == "" || len(res.Conflicts) != 0 {
		t.Fatalf("got %+v, want a clean merge", res)
	}
	if _, _, err := g.run(nil, nil, "cat-file", "-e", res.Tree); err == nil {
		t.Fatal("Write=false stored the merged tree")
	}

	written, err := Commits(repo, "ours", "theirs", Options{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	if written.Tree != res.Tree || !written.Clean {
		t.Fatalf("Write=true gave %+v, Write=false %+v", written, res)
	}
	if got := g.must(t, "cat-file", "-p", res.Tree+":a.txt"); got != "one\n2\n3\n4\nfive" {
		t.Errorf("merged a.txt = %q", got)
	}
	if got := g.must(t, "merge-tree", "--write-tree", "ours", "theirs"); got != res.Tree {
		t.Errorf("git merge-tree gives %s, Commits %s", got, res.Tree)
	}
}

func TestCommitsConflictWritesNothing(t *testing.T) {
	g, repo := threeWay(t,
		treeSpec{"a.txt": text("1\n2\n3\n")},
		treeSpec{"a.txt": text("1\nours\n3\n")},
		treeSpec{"a.txt": text("1\n2\ntheirs\n")})
	before := g.must(t, "count-objects")
	res, err := Commits(repo, "ours", "theirs", Options{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []Conflict{{Path: "a.txt", Kind: ConflictContent}}
	if res.Clean || res.Tree != "" || len(res.Conflicts) != 1 || res.Conflicts[0] != want[0] {
		t.Fatalf("got %+v, want conflicts %v (adjacent lines)", res, want)
	}
	if after := g.must(t, "count-objects"); after != before {
		t.Errorf("a conflicted merge wrote objects: %s, then %s", before, after)
	}
}

func TestConflictKinds(t *testing.T) {
	bin := func(s string) blobSpec { return blobSpec{mode: modeFile, data: []byte(s + "\x00bin")} }
	_, repo := threeWay(t,
		treeSpec{
			"content":      text("a\nb\n"),
			"binary":       bin("base"),
			"moddel":       text("x\n"),
			"fd":           text("f\n"),
			"types":        text("t\n"),
			"link":         {mode: modeSymlink, data: []byte("base")},
			"sub":          {mode: modeGitlink, data: []byte(strings.Repeat("1", 40))},
			"clean/exec":   text("e\n"),
			"clean/same":   text("s\n"),
			"clean/delete": text("gone\n"),
		},
		treeSpec{
			"content":      text("a\nours\n"),
			"binary":       bin("ours"),
			"moddel":       text("changed\n"),
			"fd":           text("f2\n"),
			"types":        text("t2\n"),
			"link":         {mode: modeSymlink, data: []byte("ours")},
			"sub":          {mode: modeGitlink, data: []byte(strings.Repeat("2", 40))},
			"addadd":       text("mine\n"),
			"mode":         {mode: modeExec, data: []byte("m\n")},
			"clean/exec":   {mode: modeExec, data: []byte("e\n")},
			"clean/same":   text("same change\n"),
			"clean/delete": text("gone\n"),
		},
		treeSpec{
			"content":    text("a\ntheirs\n"),
			"binary":     bin("theirs"),
			"fd/inside":  text("i\n"),
			"types":      {mode: modeSymlink, data: []byte("t")},
			"link":       {mode: modeSymlink, data: []byte("theirs")},
			"sub":        {mode: modeGitlink, data: []byte(strings.Repeat("3", 40))},
			"addadd":     text("yours\n"),
			"mode":       {mode: modeFile, data: []byte("m\n")},
			"clean/exec": text("e\n"),
			"clean/same": text("same change\n"),
		})
	res, err := Commits(repo, "ours", "theirs", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ConflictKind{}
	for _, c := range res.Conflicts {
		got[c.Path] = c.Kind
	}
	want := map[string]ConflictKind{
		"content": ConflictContent,
		"binary":  ConflictBinary,
		"moddel":  ConflictModifyDelete,
		"fd":      ConflictFileDirectory,
		"types":   ConflictType,
		"link":    ConflictSymlink,
		"sub":     ConflictSubmodule,
		"addadd":  ConflictAddAdd,
		"mode":    ConflictMode,
	}
	if len(got) != len(want) {
		t.Errorf("conflicts %v, want %v", got, want)
	}
	for p, k := range want {
		if got[p] != k {
			t.Errorf("%s: %v, want %v", p, got[p], k)
		}
	}
}

func TestErrors(t *testing.T) {
	g, repo := threeWay(t, treeSpec{"a": text("a\n")}, treeSpec{"a": text("b\n")}, treeSpec{"a": text("c\n")})
	_, err := Commits(repo, "ours", "no-such-branch", Options{})
	if !errors.Is(err, ErrUnknownRevision) || !strings.Contains(err.Error(), "merge ours with no-such-branch") {
		t.Errorf("unknown branch: %v", err)
	}
	tree := g.must(t, "rev-parse", "ours^{tree}")
	if _, err := Commits(repo, "ours", tree, Options{}); !errors.Is(err, ErrUnknownRevision) {
		t.Errorf("a tree id: %v", err)
	}
	g.must(t, "checkout", "-q", "--orphan", "other")
	g.must(t, "commit", "-q", "--allow-empty", "-m", "unrelated")
	if _, err := Commits(repo, "ours", "other", Options{}); !errors.Is(err, ErrUnrelatedHistories) {
		t.Errorf("unrelated histories: %v", err)
	}
	if _, err := Trees(repo.Storer, plumbing.ZeroHash, plumbing.NewHash(strings.Repeat("ab", 20)), plumbing.ZeroHash, Options{}); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("missing tree: %v", err)
	}
}

func TestResolveRevisions(t *testing.T) {
	g, repo := threeWay(t, treeSpec{"a": text("a\n")}, treeSpec{"a": text("b\n")}, treeSpec{"b": text("c\n"), "a": text("a\n")})
	want, err := Commits(repo, "ours", "theirs", Options{})
	if err != nil || !want.Clean {
		t.Fatal(want, err)
	}
	g.must(t, "tag", "-a", "-m", "t", "v1", "theirs")
	for _, pair := range [][2]string{
		{"refs/heads/ours", "theirs"},
		{g.must(t, "rev-parse", "ours"), "v1"},
		{"ours", "theirs~0"},
		{"HEAD", "theirs"}, // HEAD is main, the base: a fast-forward
	} {
		got, err := Commits(repo, pair[0], pair[1], Options{})
		if err != nil {
			t.Errorf("%v: %v", pair, err)
			continue
		}
		wantTree := want.Tree
		if pair[0] == "HEAD" {
			wantTree = g.must(t, "rev-parse", "theirs^{tree}")
		}
		if got.Tree != wantTree {
			t.Errorf("%v: tree %s, want %s", pair, got.Tree, wantTree)
		}
	}
}

func TestConflictKindString(t *testing.T) {
	if s := ConflictModifyDelete.String(); s != "modify/delete" {
		t.Errorf("got %q", s)
	}
	if s := ConflictKind(99).String(); s != "ConflictKind(99)" {
		t.Errorf("got %q", s)
	}
}
