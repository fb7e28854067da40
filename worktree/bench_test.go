package worktree

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

// benchRepo is a repository with 200 files in 10 directories, so that a
// checkout does real work.
func benchRepo(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "repo")
	gitT(b, "", "init", "-q", "-b", "main", dir)
	for i := range 200 {
		writeFile(b, filepath.Join(dir, fmt.Sprintf("d%d", i%10), fmt.Sprintf("f%d.go", i)),
			fmt.Sprintf("package d\n\n// file %d\nfunc F%d() int { return %d }\n", i, i, i))
	}
	gitT(b, dir, "add", "-A")
	gitT(b, dir, "commit", "-q", "-m", "initial")
	return dir
}

// BenchmarkAdd measures Repo.Add: validation, listing, resolving and
// `git worktree add -b`. Removal between iterations is not timed.
func BenchmarkAdd(b *testing.B) {
	ctx := context.Background()
	r := openT(b, benchRepo(b))
	root := b.TempDir()
	i := 0
	for b.Loop() {
		dir := filepath.Join(root, fmt.Sprint("wt", i))
		if _, err := r.Add(ctx, dir, fmt.Sprint("cadre/bench/", i), "HEAD"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := r.Remove(ctx, dir); err != nil {
			b.Fatal(err)
		}
		i++
		b.StartTimer()
	}
}

// BenchmarkGitWorktreeAddCLI is the reference for BenchmarkAdd: one plain
// `git worktree add -b` exec.
func BenchmarkGitWorktreeAddCLI(b *testing.B) {
	repo := benchRepo(b)
	root := b.TempDir()
	i := 0
	for b.Loop() {
		dir := filepath.Join(root, fmt.Sprint("wt", i))
		cmd := exec.Command("git", "worktree", "add", "-q", "-b", fmt.Sprint("cli/", i), dir, "HEAD")
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		b.StopTimer()
		gitT(b, repo, "worktree", "remove", "--force", dir)
		i++
		b.StartTimer()
	}
}

// BenchmarkSnapshot measures one Snapshot after a one-file change.
func BenchmarkSnapshot(b *testing.B) {
	ctx := context.Background()
	r := openT(b, benchRepo(b))
	w := addT(b, r, filepath.Join(b.TempDir(), "wt"), "cadre/bench/snap", "HEAD")
	path := filepath.Join(w.Path, "d3", "f3.go")
	i := 0
	for b.Loop() {
		b.StopTimer()
		writeFile(b, path, fmt.Sprintf("package d\n\n// edit %d\n", i))
		i++
		b.StartTimer()
		if _, changed, err := r.Snapshot(ctx, w, coder, "turn"); err != nil || !changed {
			b.Fatalf("changed=%v err=%v", changed, err)
		}
	}
}

// BenchmarkGitCommitCLI is the reference for BenchmarkSnapshot: the same
// one-file change committed with `git add -A` and `git commit`.
func BenchmarkGitCommitCLI(b *testing.B) {
	repo := benchRepo(b)
	path := filepath.Join(repo, "d3", "f3.go")
	i := 0
	for b.Loop() {
		b.StopTimer()
		writeFile(b, path, fmt.Sprintf("package d\n\n// edit %d\n", i))
		i++
		b.StartTimer()
		for _, args := range [][]string{{"add", "-A"}, {"commit", "-q", "-m", "turn"}} {
			cmd := exec.Command("git", args...)
			cmd.Dir = repo
			cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@x")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
	}
}

// BenchmarkResolveCommit compares the in-process (go-git) and CLI paths.
func BenchmarkResolveCommit(b *testing.B) {
	ctx := context.Background()
	repo := benchRepo(b)
	for _, rev := range []string{"refs/heads/main", "main~0"} {
		r := openT(b, repo)
		b.Run(rev, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.ResolveCommit(ctx, rev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
