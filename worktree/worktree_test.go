package worktree

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// cliWorktrees returns path → branch from the real `git worktree list`.
func cliWorktrees(t *testing.T, repo string) map[string]string {
	t.Helper()
	got := map[string]string{}
	var path string
	for _, line := range strings.Split(gitT(t, repo, "worktree", "list", "--porcelain"), "\n") {
		if p, ok := strings.CutPrefix(line, "worktree "); ok {
			path = p
			got[path] = ""
		}
		if b, ok := strings.CutPrefix(line, "branch refs/heads/"); ok {
			got[path] = b
		}
	}
	return got
}

func TestAddListRemove(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	head := gitT(t, repo, "rev-parse", "HEAD")
	dir := filepath.Join(t.TempDir(), "state", "worktrees", "coder_a") // parents are created

	w := addT(t, r, dir, "cadre/r1/root-coder_a", "HEAD")
	want := &Worktree{Path: dir, Branch: "cadre/r1/root-coder_a", Base: head}
	if !reflect.DeepEqual(w, want) {
		t.Fatalf("Add() = %+v, want %+v", w, want)
	}
	if got := cliWorktrees(t, repo)[dir]; got != w.Branch {
		t.Fatalf("git worktree list: %s on %q, want %q (all: %v)", dir, got, w.Branch, cliWorktrees(t, repo))
	}
	if readFile(t, filepath.Join(dir, "a.txt")) != "one\ntwo\nthree\n" {
		t.Fatal("worktree files not checked out")
	}

	infos, err := r.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || !infos[0].Main || infos[0].Path != repo || infos[0].Branch != "main" ||
		infos[1].Path != dir || infos[1].Branch != w.Branch || infos[1].Head != head {
		t.Fatalf("List() = %+v", infos)
	}

	// Idempotent: same dir, same branch.
	w2 := addT(t, r, dir, w.Branch, "HEAD")
	if !reflect.DeepEqual(w2, w) {
		t.Fatalf("second Add() = %+v, want %+v", w2, w)
	}
	if n := len(cliWorktrees(t, repo)); n != 2 {
		t.Fatalf("%d worktrees after a repeated Add, want 2", n)
	}

	// The branch cannot be checked out twice, nor dir reused for another branch.
	if _, err := r.Add(ctx, filepath.Join(t.TempDir(), "other"), w.Branch, "HEAD"); !errors.Is(err, ErrBranchInUse) {
		t.Fatalf("Add of a checked-out branch = %v, want ErrBranchInUse", err)
	}
	if _, err := r.Add(ctx, dir, "cadre/r1/other", "HEAD"); err == nil {
		t.Fatal("Add of a used dir on another branch succeeded")
	}
	if _, err := r.Add(ctx, repo, "main", "HEAD"); err == nil {
		t.Fatal("Add on the main work tree succeeded")
	}

	// A commit on the branch, then Remove: the branch stays.
	writeFile(t, filepath.Join(dir, "work.txt"), "work\n")
	tip := snapshotT(t, r, w, "turn")
	writeFile(t, filepath.Join(dir, "uncommitted.txt"), "lost\n")
	if err := r.Remove(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("worktree dir still exists: %v", err)
	}
	if _, ok := cliWorktrees(t, repo)[dir]; ok {
		t.Fatal("git worktree list still shows the removed worktree")
	}
	if got := gitT(t, repo, "rev-parse", "refs/heads/"+w.Branch); got != tip {
		t.Fatalf("branch after Remove at %s, want %s", got, tip)
	}
	if err := r.Remove(ctx, dir); err != nil {
		t.Fatalf("Remove of a missing dir: %v", err)
	}

	// Resume: Add on the existing branch attaches it, at its tip.
	dir2 := filepath.Join(t.TempDir(), "resumed")
	w3 := addT(t, r, dir2, w.Branch, head)
	if w3.Base != head || gitT(t, dir2, "rev-parse", "HEAD") != tip || readFile(t, filepath.Join(dir2, "work.txt")) != "work\n" {
		t.Fatalf("resumed worktree %+v not at the branch tip %s", w3, tip)
	}

	// A worktree whose directory was deleted behind git's back is pruned
	// and re-created.
	if err := os.RemoveAll(dir2); err != nil {
		t.Fatal(err)
	}
	addT(t, r, dir2, w.Branch, "")
	if gitT(t, dir2, "rev-parse", "HEAD") != tip {
		t.Fatal("re-created worktree not at the branch tip")
	}
}

func TestAddErrors(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	tests := []struct {
		name, branch, commit string
		wantErr              error
	}{
		{"invalid branch", "a..b", "HEAD", ErrInvalidName},
		{"new branch without commit", "fresh", "", ErrNoBranch},
		{"unknown commit", "fresh", "nope", ErrUnknownRevision},
		{"main is checked out", "main", "HEAD", ErrBranchInUse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Add(ctx, filepath.Join(t.TempDir(), "wt"), tt.branch, tt.commit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Add = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestRemoveRefusesForeignDirs(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	plain := t.TempDir()
	writeFile(t, filepath.Join(plain, "keep.txt"), "keep\n")
	if err := r.Remove(ctx, plain); !errors.Is(err, ErrNotWorktree) {
		t.Fatalf("Remove(plain dir) = %v, want ErrNotWorktree", err)
	}
	if readFile(t, filepath.Join(plain, "keep.txt")) != "keep\n" {
		t.Fatal("Remove touched a foreign directory")
	}
	if err := r.Remove(ctx, repo); !errors.Is(err, ErrNotWorktree) {
		t.Fatalf("Remove(main work tree) = %v, want ErrNotWorktree", err)
	}
	if _, err := os.Stat(filepath.Join(repo, "a.txt")); err != nil {
		t.Fatal("main work tree damaged")
	}
}

func TestParseWorktreeList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Info
	}{
		{"empty", "", nil},
		{
			"all kinds",
			"worktree /r\x00HEAD 1111\x00branch refs/heads/main\x00\x00" +
				"worktree /w/a\x00HEAD 2222\x00detached\x00locked\x00\x00" +
				"worktree /w/b c\x00HEAD 3333\x00branch refs/heads/cadre/r/x\x00locked in use\x00prunable gitdir file points to non-existent location\x00\x00",
			[]Info{
				{Path: "/r", Head: "1111", Branch: "main", Main: true},
				{Path: "/w/a", Head: "2222", Detached: true, Locked: true},
				{Path: "/w/b c", Head: "3333", Branch: "cadre/r/x", Locked: true, LockReason: "in use",
					Prunable: true, PrunableReason: "gitdir file points to non-existent location"},
			},
		},
		{"bare main", "worktree /r.git\x00bare\x00\x00", []Info{{Path: "/r.git", Main: true, Bare: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWorktreeList([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, err := parseWorktreeList([]byte("HEAD 1111\x00")); err == nil {
		t.Fatal("a field outside a record parsed without error")
	}
}
