package worktree

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// agentBranch creates a worktree on branch from base, applies edit (file →
// content), snapshots it and removes the worktree. It returns the tip.
func agentBranch(t *testing.T, r *Repo, branch, base string, edit map[string]string) string {
	t.Helper()
	w := addT(t, r, filepath.Join(t.TempDir(), "wt"), branch, base)
	for name, content := range edit {
		writeFile(t, filepath.Join(w.Path, name), content)
	}
	tip := snapshotT(t, r, w, "edit by "+branch)
	if err := r.Remove(context.Background(), w.Path); err != nil {
		t.Fatal(err)
	}
	return tip
}

func TestMerge(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	base := gitT(t, repo, "rev-parse", "HEAD")
	const result = "cadre/r1/result"
	if err := r.CreateBranch(ctx, result, base); err != nil {
		t.Fatal(err)
	}
	a := agentBranch(t, r, "cadre/r1/a", base, map[string]string{"a.txt": "one\nA\nthree\n"})
	agentBranch(t, r, "cadre/r1/b", base, map[string]string{"b.txt": "B\n", "new.txt": "new\n"})
	agentBranch(t, r, "cadre/r1/c", base, map[string]string{"a.txt": "one\nC\nthree\n", "b.txt": "C\n"})
	mainBefore := mainState(t, repo)

	// Fast-forward: result is an ancestor of a.
	res, err := r.Merge(ctx, result, "cadre/r1/a", coder, "")
	if err != nil || !reflect.DeepEqual(res, MergeResult{Commit: a, FastForward: true}) {
		t.Fatalf("fast-forward Merge = %+v, %v", res, err)
	}
	if got := gitT(t, repo, "rev-parse", result); got != a {
		t.Fatalf("result at %s, want %s", got, a)
	}

	// Up to date: merging a again changes nothing.
	res, err = r.Merge(ctx, result, "cadre/r1/a", coder, "")
	if err != nil || !res.UpToDate || res.Commit != a {
		t.Fatalf("repeated Merge = %+v, %v", res, err)
	}

	// Clean three-way merge.
	res, err = r.Merge(ctx, result, "cadre/r1/b", coder, "merge b")
	if err != nil || res.FastForward || res.UpToDate || len(res.Conflicts) != 0 {
		t.Fatalf("three-way Merge = %+v, %v", res, err)
	}
	if got := gitT(t, repo, "rev-parse", result); got != res.Commit {
		t.Fatalf("result at %s, want merge commit %s", got, res.Commit)
	}
	if got := gitT(t, repo, "log", "-1", "--format=%P|%an|%s", res.Commit); got != fmt.Sprintf("%s %s|/root/coder_a|merge b", a, gitT(t, repo, "rev-parse", "cadre/r1/b")) {
		t.Fatalf("merge commit parents/author/subject: %s", got)
	}
	for file, want := range map[string]string{"a.txt": "one\nA\nthree", "b.txt": "B", "new.txt": "new", "sub/c.txt": "sea"} {
		if got := gitT(t, repo, "show", res.Commit+":"+file); got != want {
			t.Errorf("%s in merge = %q, want %q", file, got, want)
		}
	}
	if typ := gitT(t, repo, "cat-file", "-t", res.Commit); typ != "commit" {
		t.Fatalf("merge object type %s", typ)
	}
	merged := res.Commit

	// Conflict: nothing is written.
	res, err = r.Merge(ctx, result, "cadre/r1/c", coder, "")
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("conflicting Merge = %+v, %v; want ErrConflict", res, err)
	}
	if !reflect.DeepEqual(res.Conflicts, []string{"a.txt", "b.txt"}) || res.Commit != merged {
		t.Fatalf("conflict result = %+v", res)
	}
	if !strings.Contains(err.Error(), "a.txt, b.txt") {
		t.Errorf("conflict error does not name the paths: %v", err)
	}
	if got := gitT(t, repo, "rev-parse", result); got != merged {
		t.Fatalf("result moved to %s on conflict", got)
	}

	// Merging into a checked-out branch would strand that worktree.
	if _, err := r.Merge(ctx, "main", "cadre/r1/a", coder, ""); !errors.Is(err, ErrBranchInUse) {
		t.Fatalf("Merge into the checked-out main = %v, want ErrBranchInUse", err)
	}
	if _, err := r.Merge(ctx, result, "nope", coder, ""); !errors.Is(err, ErrNoBranch) {
		t.Fatalf("Merge of a missing branch = %v, want ErrNoBranch", err)
	}
	if _, err := r.Merge(ctx, result, "cadre/r1/a", Author{}, ""); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("Merge without author = %v, want ErrInvalidName", err)
	}

	if after := mainState(t, repo); after != mainBefore {
		t.Fatalf("main work tree changed by merges:\n%s\n%s", mainBefore, after)
	}
	fsckT(t, repo)
}

func TestConcurrentSnapshotsAndMerges(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	base := gitT(t, repo, "rev-parse", "HEAD")
	const result = "cadre/r1/result"
	if err := r.CreateBranch(ctx, result, base); err != nil {
		t.Fatal(err)
	}
	const n = 8
	root := t.TempDir()
	wts := make([]*Worktree, n)
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for i := range n {
		wg.Go(func() {
			w, err := r.Add(ctx, filepath.Join(root, fmt.Sprint("agent", i)), fmt.Sprintf("cadre/r1/agent%d", i), base)
			if err != nil {
				errs <- err
				return
			}
			wts[i] = w
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	errs = make(chan error, 4*n)
	for i, w := range wts {
		wg.Go(func() {
			for turn := range 3 {
				if err := os.WriteFile(filepath.Join(w.Path, fmt.Sprintf("agent%d.txt", i)), fmt.Appendf(nil, "agent %d turn %d\n", i, turn), 0o644); err != nil {
					errs <- err
					return
				}
				a := Author{Name: fmt.Sprintf("/root/agent%d", i), Email: fmt.Sprintf("agent%d@cadre.local", i)}
				if _, changed, err := r.Snapshot(ctx, w, a, fmt.Sprint("turn ", turn)); err != nil || !changed {
					errs <- fmt.Errorf("snapshot %d: changed=%v %w", i, changed, err)
				}
			}
		})
	}
	wg.Wait()
	for _, w := range wts {
		wg.Go(func() {
			if _, err := r.Merge(ctx, result, w.Branch, coder, ""); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	for i := range n {
		if got := gitT(t, repo, "show", fmt.Sprintf("%s:agent%d.txt", result, i)); got != fmt.Sprintf("agent %d turn 2", i) {
			t.Errorf("agent%d.txt in result = %q", i, got)
		}
		if got := gitT(t, repo, "log", "-1", "--format=%an", fmt.Sprintf("cadre/r1/agent%d", i)); got != fmt.Sprintf("/root/agent%d", i) {
			t.Errorf("agent%d author = %q", i, got)
		}
	}
	if got := gitT(t, repo, "rev-list", "--count", base+".."+result, "--no-merges"); got != fmt.Sprint(3*n) {
		t.Errorf("%s non-merge commits in result, want %d", got, 3*n)
	}
	fsckT(t, repo)
}

func TestArchiveMergedDeleteBranch(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	base := gitT(t, repo, "rev-parse", "HEAD")
	if err := r.CreateBranch(ctx, "result", base); err != nil {
		t.Fatal(err)
	}
	tipA := agentBranch(t, r, "cadre/r1/a", base, map[string]string{"x.txt": "x\n"})
	agentBranch(t, r, "cadre/r1/b", base, map[string]string{"y.txt": "y\n"})

	// Unmerged work cannot be deleted.
	if ok, err := r.Merged(ctx, tipA, "cadre/r1/a"); err != nil || ok {
		t.Fatalf("Merged(unmerged) = %v, %v", ok, err)
	}
	if err := r.DeleteBranch(ctx, "cadre/r1/a"); !errors.Is(err, ErrUnmerged) {
		t.Fatalf("DeleteBranch(unmerged) = %v, want ErrUnmerged", err)
	}
	// Without exclusion the branch itself contains its tip.
	if ok, _ := r.Merged(ctx, tipA); !ok {
		t.Fatal("Merged(tip) without exclusion = false")
	}

	// Archived: deletable, and the commit stays reachable.
	ref, err := r.Archive(ctx, "cadre/r1/a", "r-20261123-ab12")
	if err != nil || ref != "refs/cadre/archive/r-20261123-ab12/cadre/r1/a" {
		t.Fatalf("Archive = %s, %v", ref, err)
	}
	if ok, err := r.Merged(ctx, tipA, "cadre/r1/a"); err != nil || !ok {
		t.Fatalf("Merged(archived) = %v, %v", ok, err)
	}
	if err := r.DeleteBranch(ctx, "cadre/r1/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := gitTErr(repo, "rev-parse", "--verify", "refs/heads/cadre/r1/a"); err == nil {
		t.Fatal("branch still exists after DeleteBranch")
	}
	if got := gitT(t, repo, "rev-parse", ref); got != tipA {
		t.Fatalf("archive ref at %s, want %s", got, tipA)
	}
	if err := r.DeleteBranch(ctx, "cadre/r1/a"); err != nil {
		t.Fatalf("DeleteBranch of a deleted branch: %v", err)
	}

	// Merged into another branch: deletable without an archive.
	if _, err := r.Merge(ctx, "result", "cadre/r1/b", coder, ""); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteBranch(ctx, "cadre/r1/b"); err != nil {
		t.Fatal(err)
	}

	// A checked-out branch is refused even when merged.
	w := addT(t, r, filepath.Join(t.TempDir(), "wt"), "cadre/r1/c", base)
	if err := r.DeleteBranch(ctx, w.Branch); !errors.Is(err, ErrBranchInUse) {
		t.Fatalf("DeleteBranch(checked out) = %v, want ErrBranchInUse", err)
	}

	for _, tt := range []struct{ branch, run string }{{"nope", "r1"}, {"result", ""}, {"result", "a/b"}, {"result", "a..b"}} {
		if _, err := r.Archive(ctx, tt.branch, tt.run); err == nil {
			t.Errorf("Archive(%q, %q) succeeded", tt.branch, tt.run)
		}
	}
	fsckT(t, repo)
}

func TestResetBranch(t *testing.T) {
	ctx := context.Background()
	dir := newGitRepo(t)
	r := openT(t, dir)
	base := strings.TrimSpace(gitT(t, dir, "rev-parse", "HEAD"))
	gitT(t, dir, "checkout", "-q", "-b", "work")
	writeFile(t, filepath.Join(dir, "f.txt"), "one\n")
	gitT(t, dir, "add", "-A")
	gitT(t, dir, "commit", "-q", "-m", "one")
	next := strings.TrimSpace(gitT(t, dir, "rev-parse", "HEAD"))
	gitT(t, dir, "checkout", "-q", "main")
	gitT(t, dir, "branch", "queue", next)
	// It moves only from the expected tip.
	if err := r.ResetBranch(ctx, "queue", base, base, "test"); err == nil {
		t.Fatal("reset from a tip the branch is not at succeeded")
	}
	if err := r.ResetBranch(ctx, "queue", base, next, "test"); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(gitT(t, dir, "rev-parse", "queue")); got != base {
		t.Fatalf("queue at %s, want %s", got, base)
	}
	if err := r.ResetBranch(ctx, "main", next, base, "test"); !errors.Is(err, ErrBranchInUse) {
		t.Fatalf("reset of a checked-out branch = %v, want ErrBranchInUse", err)
	}
}
