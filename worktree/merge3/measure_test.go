package merge3

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	git "github.com/go-git/go-git/v5"
)

func TestMeasure(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed:", err)
	}
	r, err := Measure(filepath.Join(t.TempDir(), "repo"), 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		name string
		v    Timing
	}{{"clean", r.Clean}, {"conflict", r.Conflict}} {
		if d.v.InMemory <= 0 || d.v.GitMergeTree <= 0 {
			t.Errorf("%s: %+v", d.name, d.v)
		}
		t.Logf("%s: in memory %v (pack files kept open: %v), git merge-tree %v (%d files, %d commits of history; open %v)",
			d.name, d.v.InMemory, d.v.InMemoryKeepDescriptors, d.v.GitMergeTree, r.Files, r.HistoryCommits, r.Open)
	}
}

func TestMeasureRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Measure(dir, 1); err == nil {
		t.Fatal("Measure used a non-empty directory")
	}
}

// BenchmarkCommits times the in-memory merge check on the repository
// Measure builds, next to `git merge-tree --write-tree` on the same pair.
func BenchmarkCommits(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git not installed:", err)
	}
	dir := filepath.Join(b.TempDir(), "repo")
	if err := buildMeasureRepo(dir); err != nil {
		b.Fatal(err)
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, theirs := range []string{"theirs-clean", "theirs-conflict"} {
		b.Run(theirs+"/in-memory", func(b *testing.B) {
			for b.Loop() {
				if _, err := Commits(repo, "ours", theirs, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(theirs+"/git-merge-tree", func(b *testing.B) {
			for b.Loop() {
				if _, code, err := measureGit(dir, nil, "merge-tree", "--write-tree", "ours", theirs); err != nil && code != 1 {
					b.Fatal(err)
				}
			}
		})
	}
}
