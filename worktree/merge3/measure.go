package merge3

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// MeasureResult is what Measure reports: medians over its iterations.
type MeasureResult struct {
	Files          int // files in the merged trees
	HistoryCommits int // commits of shared history before the branches split
	// Open is one git.PlainOpen of the repository, which Commits needs
	// once per process (not part of InMemory).
	Open     time.Duration
	Clean    Timing // branches that merge cleanly
	Conflict Timing // the same, plus one overlapping change
}

// Timing compares one merge check done in memory with the same check done
// by git.
type Timing struct {
	// InMemory is Commits with Write=false on a repository opened with
	// git.PlainOpen.
	InMemory time.Duration
	// InMemoryKeepDescriptors is the same on a repository whose storage
	// keeps its pack files open (filesystem.Options{KeepDescriptors:
	// true}); go-git otherwise reopens the pack for every object it reads.
	InMemoryKeepDescriptors time.Duration
	// GitMergeTree is one `git merge-tree --write-tree` process.
	GitMergeTree time.Duration
}

// Measure builds a repository in dir (which must be empty or not exist)
// with measureFiles files, measureHistory commits of history and two
// divergent branches, then times the in-memory merge check (Commits with
// Write=false) against `git merge-tree --write-tree` on the same branches,
// alternating them, n times each for a clean and a conflicting pair, and
// returns the medians. It first checks that both agree.
func Measure(dir string, n int) (MeasureResult, error) {
	if n < 1 {
		n = 1
	}
	if err := buildMeasureRepo(dir); err != nil {
		return MeasureResult{}, fmt.Errorf("measure: %w", err)
	}
	res := MeasureResult{Files: measureFiles, HistoryCommits: measureHistory}
	var repo *git.Repository
	var opens []time.Duration
	for i := 0; i < max(3, n/4); i++ {
		start := time.Now()
		r, err := git.PlainOpen(dir)
		if err != nil {
			return res, fmt.Errorf("measure: open %s: %w", dir, err)
		}
		opens = append(opens, time.Since(start))
		repo = r
	}
	res.Open = median(opens)
	fsys, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return res, fmt.Errorf("measure: %s: storage %T is not a filesystem", dir, repo.Storer)
	}
	st := filesystem.NewStorageWithOptions(fsys.Filesystem(),
		cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
	defer st.Close()
	kept, err := git.Open(st, nil)
	if err != nil {
		return res, fmt.Errorf("measure: open %s: %w", dir, err)
	}
	for _, v := range []struct {
		theirs string
		clean  bool
		out    *Timing
	}{
		{"theirs-clean", true, &res.Clean},
		{"theirs-conflict", false, &res.Conflict},
	} {
		t, err := measurePair(dir, repo, kept, "ours", v.theirs, v.clean, n)
		if err != nil {
			return res, fmt.Errorf("measure: %w", err)
		}
		*v.out = t
	}
	return res, nil
}

func measurePair(dir string, repo, kept *git.Repository, ours, theirs string, wantClean bool, n int) (Timing, error) {
	mem := func() (Result, error) { return Commits(repo, ours, theirs, Options{}) }
	cli := func() (string, bool, error) {
		out, code, err := measureGit(dir, nil, "merge-tree", "--write-tree", "--name-only", ours, theirs)
		if err != nil && code != 1 {
			return "", false, err
		}
		tree, _, _ := strings.Cut(string(out), "\n")
		return tree, code == 0, nil
	}
	// Warm up both, and check that they agree.
	r, err := mem()
	if err != nil {
		return Timing{}, err
	}
	tree, clean, err := cli()
	if err != nil {
		return Timing{}, err
	}
	if r.Clean != clean || clean != wantClean || (clean && r.Tree != tree) {
		return Timing{}, fmt.Errorf("%s and %s: in memory clean=%v tree=%s, git clean=%v tree=%s (want clean=%v)",
			ours, theirs, r.Clean, r.Tree, clean, tree, wantClean)
	}
	if _, err := Commits(kept, ours, theirs, Options{}); err != nil {
		return Timing{}, err
	}
	var inMem, inKept, inGit []time.Duration
	for i := 0; i < n; i++ {
		start := time.Now()
		if _, err := mem(); err != nil {
			return Timing{}, err
		}
		inMem = append(inMem, time.Since(start))
		start = time.Now()
		if _, err := Commits(kept, ours, theirs, Options{}); err != nil {
			return Timing{}, err
		}
		inKept = append(inKept, time.Since(start))
		start = time.Now()
		if _, _, err := cli(); err != nil {
			return Timing{}, err
		}
		inGit = append(inGit, time.Since(start))
	}
	return Timing{InMemory: median(inMem), InMemoryKeepDescriptors: median(inKept), GitMergeTree: median(inGit)}, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// measureGit runs git in dir without the caller's or the user's
// configuration.
func measureGit(dir string, stdin []byte, args ...string) ([]byte, int, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "LC_ALL=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.Bytes(), ee.ExitCode(), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	if err != nil {
		return nil, -1, fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return out.Bytes(), 0, nil
}

const (
	measureFiles   = 200
	measureDirs    = 10
	measureLines   = 60
	measureHistory = 300
)

// buildMeasureRepo writes, with one `git fast-import`, a repository of
// measureFiles source-like files and measureHistory commits on main, then
// branches ours (four files changed), theirs-clean (four other files, and
// a part of one of ours' files far from ours' change) and theirs-conflict
// (theirs-clean plus a change next to ours' change).
func buildMeasureRepo(dir string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, _, err := measureGit(dir, nil, "init", "-q", "-b", "main", "."); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	files := make([][]string, measureFiles)
	path := func(i int) string { return fmt.Sprintf("pkg%d/file%03d.go", i%measureDirs, i) }
	for i := range files {
		files[i] = make([]string, measureLines)
		for j := range files[i] {
			files[i][j] = fmt.Sprintf("\tx%d := compute(%d, %d) // %08x\n", j, i, j, rng.Uint32())
		}
	}
	var b bytes.Buffer
	when := int64(1700000000)
	mark := 0
	commit := func(branch string, from int, changed []int) int {
		mark++
		when += 60
		fmt.Fprintf(&b, "commit refs/heads/%s\nmark :%d\ncommitter M <m@example.invalid> %d +0000\ndata 0\n", branch, mark, when)
		if from > 0 {
			fmt.Fprintf(&b, "from :%d\n", from)
		}
		for _, i := range changed {
			data := strings.Join(files[i], "")
			fmt.Fprintf(&b, "M 100644 inline %s\ndata %d\n%s\n", path(i), len(data), data)
		}
		b.WriteString("\n")
		return mark
	}
	all := make([]int, measureFiles)
	for i := range all {
		all[i] = i
	}
	tip := commit("main", 0, all)
	for c := 1; c < measureHistory; c++ {
		var ch []int
		for k := 0; k < 1+rng.IntN(3); k++ {
			i := rng.IntN(measureFiles)
			files[i][rng.IntN(measureLines)] = fmt.Sprintf("\ty := history(%d, %d)\n", c, k)
			ch = append(ch, i)
		}
		tip = commit("main", tip, ch)
	}
	saved := make([][]string, len(files))
	for i := range files {
		saved[i] = slices.Clone(files[i])
	}
	restore := func() {
		for i := range files {
			files[i] = slices.Clone(saved[i])
		}
	}
	edit := func(i, line int, text string) []int {
		files[i][line] = text + "\n"
		return []int{i}
	}
	// ours: files 0..3, file 0 near the top.
	o := commit("ours", tip, edit(0, 5, "\tours := 1"))
	o = commit("ours", o, append(edit(1, 30, "\tours := 2"), edit(2, 30, "\tours := 3")...))
	commit("ours", o, edit(3, 50, "\tours := 4"))
	restore()
	// theirs-clean: files 10..13, and file 0 far from ours' change.
	t := commit("theirs-clean", tip, edit(10, 5, "\ttheirs := 1"))
	t = commit("theirs-clean", t, append(edit(11, 20, "\ttheirs := 2"), edit(12, 40, "\ttheirs := 3")...))
	t = commit("theirs-clean", t, append(edit(13, 50, "\ttheirs := 4"), edit(0, 45, "\ttheirs := 5")...))
	// theirs-conflict: one more change, on the line after ours' change.
	commit("theirs-conflict", t, edit(0, 6, "\ttheirs := 6"))
	_, _, err := measureGit(dir, b.Bytes(), "fast-import", "--quiet")
	return err
}
