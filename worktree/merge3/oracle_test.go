package merge3

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
)

// The oracle test: random histories built with the git CLI, each merged
// by this package and by `git merge-tree --write-tree` (ort). They must
// agree on clean versus conflicted, on the tree (git writes one for a
// conflicted merge too, with conflict markers in it, and so does the
// internal merge), and on the conflicted paths.
//
// MERGE3_SEED=<n> (or "random") picks the seed, MERGE3_CASES=<n> the
// number of simple cases (criss-cross ones come on top, one per five).

func envUint(t testing.TB, name string, def uint64) uint64 {
	v := os.Getenv(name)
	switch v {
	case "":
		return def
	case "random":
		return uint64(time.Now().UnixNano())
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

type oracleStats struct {
	cases, clean, conflicted, multiBase int
	kinds                               map[ConflictKind]int
	byKind                              map[string]int
}

func TestOracle(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed:", err)
	}
	seed := envUint(t, "MERGE3_SEED", 1)
	n := int(envUint(t, "MERGE3_CASES", 200))
	st := runOracle(t, seed, n)
	if t.Failed() {
		t.Logf("seed %d; repeat with MERGE3_SEED=%d", seed, seed)
	}
	t.Logf("seed %d: %d cases (%d simple, %d criss-cross, %d with three bases), %d with several merge bases; clean %d (%.0f%%), conflicted %d (%.0f%%)",
		seed, st.cases, st.byKind["simple"], st.byKind["criss-cross"], st.byKind["three-bases"], st.multiBase,
		st.clean, 100*float64(st.clean)/float64(st.cases),
		st.conflicted, 100*float64(st.conflicted)/float64(st.cases))
	var ks []string
	for k, c := range st.kinds {
		ks = append(ks, fmt.Sprintf("%s=%d", k, c))
	}
	sort.Strings(ks)
	t.Logf("conflicting paths by kind: %s", strings.Join(ks, " "))
	if float64(st.clean) < 0.3*float64(st.cases) || float64(st.conflicted) < 0.3*float64(st.cases) {
		t.Errorf("poor mix: %d clean, %d conflicted of %d (seed %d)", st.clean, st.conflicted, st.cases, seed)
	}
}

func genCases(seed uint64, n int) []genCase {
	g := newGen(seed)
	var cases []genCase
	for i := 0; i < n; i++ {
		cases = append(cases, g.simpleCase(len(cases)))
		if i%5 == 4 {
			cases = append(cases, g.crissCross(len(cases), i%15 == 14))
		}
	}
	return cases
}

func runOracle(t *testing.T, seed uint64, n int) oracleStats {
	return runCases(t, seed, genCases(seed, n))
}

func runCases(t *testing.T, seed uint64, cases []genCase) oracleStats {
	g := initRepo(t)
	if err := importCases(g, cases); err != nil {
		t.Fatal(err)
	}
	pairs := make([][2]string, len(cases))
	for i, c := range cases {
		pairs[i] = [2]string{c.ours, c.theirs}
	}
	want, err := g.mergeTreeStdin(pairs)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := git.PlainOpen(g.dir)
	if err != nil {
		t.Fatal(err)
	}
	st := oracleStats{kinds: map[ConflictKind]int{}, byKind: map[string]int{}}
	failures := 0
	for i, c := range cases {
		st.cases++
		st.byKind[c.kind]++
		if want[i].clean {
			st.clean++
		} else {
			st.conflicted++
		}
		msg, res, bases := checkCase(repo, c, want[i])
		if bases > 1 {
			st.multiBase++
		}
		for _, cf := range res.Conflicts {
			st.kinds[cf.Kind]++
		}
		if msg == "" {
			continue
		}
		failures++
		if failures <= 8 {
			t.Errorf("seed %d case %d (%s, %d merge bases): %s\n%s", seed, c.id, c.kind, bases, msg, explain(g, c))
		}
	}
	if failures > 8 {
		t.Errorf("... %d disagreements in all", failures)
	}
	return st
}

// TestOracleText compares the line merge alone on many single-file cases,
// from varied to extremely repetitive text.
func TestOracleText(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed:", err)
	}
	seed := envUint(t, "MERGE3_SEED", 1)
	n := int(envUint(t, "MERGE3_CASES", 200))
	g := newGen(seed + 7)
	cases := make([]genCase, n)
	for i := range cases {
		cases[i] = g.textCase(i)
	}
	st := runCases(t, seed, cases)
	t.Logf("seed %d: %d text cases, clean %d, conflicted %d", seed, st.cases, st.clean, st.conflicted)
}

// checkCase merges one case and returns what disagrees with git ("" if
// nothing), the public result, and how many merge bases there were.
func checkCase(repo *git.Repository, c genCase, want mergeTreeResult) (string, Result, int) {
	c1, err := resolveCommit(repo, c.ours)
	if err != nil {
		return err.Error(), Result{}, 0
	}
	c2, err := resolveCommit(repo, c.theirs)
	if err != nil {
		return err.Error(), Result{}, 0
	}
	gr := newGraph(repo.Storer)
	n1, n2 := gr.node(c1.Hash), gr.node(c2.Hash)
	if err := gr.parse(n1); err != nil {
		return err.Error(), Result{}, 0
	}
	if err := gr.parse(n2); err != nil {
		return err.Error(), Result{}, 0
	}
	bs, err := gr.mergeBases(n1, n2)
	if err != nil {
		return err.Error(), Result{}, 0
	}
	objs := newObjects(repo.Storer)
	out, err := mergeCommits(objs, c1, c2, c.ours, c.theirs)
	if err != nil {
		return "merge: " + err.Error(), Result{}, len(bs)
	}
	var problems []string
	clean := len(out.conflicts) == 0
	if clean != want.clean {
		problems = append(problems, fmt.Sprintf("clean: got %v, git %v", clean, want.clean))
	}
	if out.tree.String() != want.tree {
		problems = append(problems, fmt.Sprintf("tree: got %s, git %s", out.tree, want.tree))
	}
	var gotPaths []string
	for _, cr := range out.conflicts {
		gotPaths = append(gotPaths, cr.gitPath)
	}
	gotPaths = sortedSet(gotPaths)
	wantPaths := sortedSet(want.paths)
	if !slices.Equal(gotPaths, wantPaths) {
		problems = append(problems, fmt.Sprintf("conflicted paths: got %q, git %q", gotPaths, wantPaths))
	}

	// The public API must say the same.
	res, err := Commits(repo, c.ours, c.theirs, Options{})
	if err != nil {
		problems = append(problems, "Commits: "+err.Error())
	} else {
		if res.Clean != want.clean || (res.Clean && res.Tree != want.tree) || (!res.Clean && res.Tree != "") {
			problems = append(problems, fmt.Sprintf("Commits: clean %v tree %q, git clean %v tree %s", res.Clean, res.Tree, want.clean, want.tree))
		}
		var pub []string
		for _, cf := range res.Conflicts {
			pub = append(pub, cf.Path)
		}
		var stripped []string
		for _, p := range wantPaths {
			stripped = append(stripped, stripMoved(p))
		}
		if stripped = sortedSet(stripped); !slices.Equal(pub, stripped) {
			problems = append(problems, fmt.Sprintf("Commits conflicts: got %q, want %q", pub, stripped))
		}
	}
	return strings.Join(problems, "; "), res, len(bs)
}

// stripMoved maps a path git moved aside ("dir/f~c12o", "f~c12t_0") back
// to the path it came from. Generated names never contain "~".
func stripMoved(p string) string {
	dir, base := "", p
	if i := strings.LastIndex(p, "/"); i >= 0 {
		dir, base = p[:i+1], p[i+1:]
	}
	if i := strings.Index(base, "~"); i >= 0 {
		base = base[:i]
	}
	return dir + base
}

func sortedSet(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return slices.Compact(out)
}

// explain shows a failing case: git's own messages (a rename shows as
// "Auto-merging" or a conflict on a path that is not in the result) and
// the trees.
func explain(g *gitRunner, c genCase) string {
	var b strings.Builder
	out, _, err := g.run(nil, []int{1}, "merge-tree", "--write-tree", "--messages", c.ours, c.theirs)
	fmt.Fprintf(&b, "git merge-tree:\n%s%v\n", out, errOrEmpty(err))
	bases, _, _ := g.run(nil, nil, "merge-base", "--all", c.ours, c.theirs)
	fmt.Fprintf(&b, "merge bases: %s\n", strings.Fields(string(bases)))
	for _, rev := range append(strings.Fields(string(bases)), c.ours, c.theirs) {
		ls, _, _ := g.run(nil, nil, "ls-tree", "-r", rev)
		fmt.Fprintf(&b, "--- %s\n%s", rev, ls)
	}
	return b.String()
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestOracleWrite checks that Write stores the merged tree completely:
// git finds every tree and blob of each clean merge's tree, and fsck finds
// no corrupt object.
func TestOracleWrite(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed:", err)
	}
	cases := genCases(envUint(t, "MERGE3_SEED", 1)+1000, 40)
	g := initRepo(t)
	if err := importCases(g, cases); err != nil {
		t.Fatal(err)
	}
	repo, err := git.PlainOpen(g.dir)
	if err != nil {
		t.Fatal(err)
	}
	var trees []string
	for _, c := range cases {
		res, err := Commits(repo, c.ours, c.theirs, Options{Write: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Clean {
			trees = append(trees, res.Tree)
		}
	}
	if len(trees) == 0 {
		t.Fatal("no clean case")
	}
	var ids strings.Builder
	for _, tr := range trees {
		ids.WriteString(tr + "\n")
		out, _, err := g.run(nil, nil, "ls-tree", "-r", "-t", tr)
		if err != nil {
			t.Fatalf("written tree %s: %v", tr, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[1] != "commit" {
				ids.WriteString(f[2] + "\n")
			}
		}
	}
	out, _, err := g.run([]byte(ids.String()), nil, "cat-file", "--batch-check")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "missing") {
		t.Errorf("objects missing after Write:\n%s", out)
	}
	if _, _, err := g.run(nil, nil, "fsck", "--full", "--no-progress", "--no-dangling"); err != nil {
		t.Error(err)
	}
	t.Logf("%d clean merges written and read back", len(trees))
}
