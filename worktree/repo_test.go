package worktree

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gogit "github.com/go-git/go-git/v5"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	tmp := t.TempDir()
	plain := filepath.Join(tmp, "plain")
	os.Mkdir(plain, 0o755)
	bare := filepath.Join(tmp, "bare.git")
	gitT(t, "", "init", "-q", "--bare", bare)
	empty := filepath.Join(tmp, "empty")
	gitT(t, "", "init", "-q", empty)
	file := filepath.Join(tmp, "file")
	writeFile(t, file, "x")

	tests := []struct {
		name     string
		path     string
		wantErr  error
		wantRoot string
	}{
		{"top level", repo, nil, repo},
		{"subdirectory", filepath.Join(repo, "sub"), nil, repo},
		{"relative-ish path", filepath.Join(repo, "sub", ".."), nil, repo},
		{"missing", filepath.Join(tmp, "nope"), ErrNotFound, ""},
		{"plain directory", plain, ErrNotRepo, ""},
		{"regular file", file, ErrNotRepo, ""},
		{"bare repository", bare, ErrBareRepo, ""},
		{"inside .git", filepath.Join(repo, ".git"), ErrNotRepo, ""},
		{"no commits", empty, ErrNoCommits, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(ctx, tt.path)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Open(%s) = %v, want %v", tt.path, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%s): %v", tt.path, err)
			}
			if r.Root() != tt.wantRoot {
				t.Errorf("Root() = %s, want %s", r.Root(), tt.wantRoot)
			}
			if err := r.InProcess(); err != nil {
				t.Errorf("InProcess() = %v, want go-git reads", err)
			}
		})
	}
}

func TestOpenWorktreeConfigFallsBackToCLI(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	gitT(t, repo, "config", "core.repositoryformatversion", "1")
	gitT(t, repo, "config", "extensions.worktreeConfig", "true")

	// The premise: go-git v5 refuses this repository.
	if _, err := gogit.PlainOpen(repo); err == nil {
		t.Fatal("go-git opened a repository with extensions.worktreeConfig; the fallback may no longer be needed")
	}

	r := openT(t, repo)
	if err := r.InProcess(); !errors.Is(err, ErrWorktreeConfig) || !strings.Contains(err.Error(), "worktreeConfig") {
		t.Fatalf("InProcess() = %v, want ErrWorktreeConfig", err)
	}
	head, branch, err := r.Head(ctx)
	if err != nil || branch != "main" || head != gitT(t, repo, "rev-parse", "HEAD") {
		t.Fatalf("Head() = %s, %s, %v", head, branch, err)
	}
	// Everything keeps working through the CLI.
	w := addT(t, r, filepath.Join(t.TempDir(), "wt"), "cadre/r1/coder", "HEAD")
	writeFile(t, filepath.Join(w.Path, "new.txt"), "hi\n")
	c := snapshotT(t, r, w, "turn 1")
	if got, err := r.ResolveCommit(ctx, "refs/heads/cadre/r1/coder"); err != nil || got != c {
		t.Fatalf("ResolveCommit = %s, %v; want %s", got, err, c)
	}
	if err := r.CreateBranch(ctx, "result", head); err != nil {
		t.Fatal(err)
	}
	res, err := r.Merge(ctx, "result", w.Branch, coder, "")
	if err != nil || !res.FastForward || res.Commit != c {
		t.Fatalf("Merge = %+v, %v", res, err)
	}
}

func TestHeadDetachedAndLinkedWorktree(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	commit, branch, err := r.Head(ctx)
	if err != nil || branch != "main" || commit != gitT(t, repo, "rev-parse", "HEAD") {
		t.Fatalf("Head() = %s, %q, %v", commit, branch, err)
	}
	gitT(t, repo, "checkout", "-q", "--detach")
	if _, branch, err := r.Head(ctx); err != nil || branch != "" {
		t.Fatalf("detached Head() branch = %q, %v; want \"\"", branch, err)
	}

	// Opening a linked worktree reads its HEAD, and shares the common dir.
	wt := filepath.Join(t.TempDir(), "linked")
	gitT(t, repo, "worktree", "add", "-q", "-b", "side", wt)
	lr := openT(t, filepath.Join(wt, "sub"))
	if lr.Root() != wt || lr.CommonDir() != r.CommonDir() {
		t.Fatalf("linked Root() = %s CommonDir() = %s, want %s %s", lr.Root(), lr.CommonDir(), wt, r.CommonDir())
	}
	if _, branch, err := lr.Head(ctx); err != nil || branch != "side" {
		t.Fatalf("linked Head() branch = %q, %v", branch, err)
	}
}

func TestResolveCommit(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	head := gitT(t, repo, "rev-parse", "HEAD")
	gitT(t, repo, "tag", "-a", "-m", "v1", "v1")
	gitT(t, repo, "tag", "light")
	r := openT(t, repo)
	tests := []struct {
		rev     string
		want    string
		wantErr error
	}{
		{"HEAD", head, nil},
		{head, head, nil},
		{head[:10], head, nil},
		{"main", head, nil},
		{"refs/heads/main", head, nil},
		{"v1", head, nil},
		{"refs/tags/v1", head, nil},
		{"light", head, nil},
		{"main~0", head, nil},
		{"HEAD^{tree}", "", ErrUnknownRevision},
		{"nope", "", ErrUnknownRevision},
		{strings.Repeat("a", 40), "", ErrUnknownRevision},
		{"", "", ErrInvalidName},
		{"--all", "", ErrInvalidName},
	}
	for _, tt := range tests {
		t.Run(tt.rev, func(t *testing.T) {
			got, err := r.ResolveCommit(ctx, tt.rev)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ResolveCommit(%q) = %q, %v; want %v", tt.rev, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ResolveCommit(%q) = %q, %v; want %s", tt.rev, got, err, tt.want)
			}
		})
	}
}

func TestDirty(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	if dirty, paths, err := r.Dirty(ctx); err != nil || dirty || len(paths) != 0 {
		t.Fatalf("clean Dirty() = %v, %v, %v", dirty, paths, err)
	}
	writeFile(t, filepath.Join(repo, "a.txt"), "changed\n")
	writeFile(t, filepath.Join(repo, "new dir", "u.txt"), "untracked\n")
	writeFile(t, filepath.Join(repo, "ignored.log"), "ignored\n")
	os.Remove(filepath.Join(repo, "b.txt"))
	gitT(t, repo, "mv", "sub/c.txt", "sub/d.txt")
	dirty, paths, err := r.Dirty(ctx)
	if err != nil || !dirty {
		t.Fatalf("Dirty() = %v, %v", dirty, err)
	}
	want := "a.txt,b.txt,new dir/u.txt,sub/d.txt"
	if got := strings.Join(paths, ","); got != want {
		t.Fatalf("Dirty() paths = %s, want %s", got, want)
	}
}

func TestCreateBranch(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	head := gitT(t, repo, "rev-parse", "HEAD")
	gitT(t, repo, "commit", "-q", "--allow-empty", "-m", "second")
	second := gitT(t, repo, "rev-parse", "HEAD")

	if err := r.CreateBranch(ctx, "cadre/r1/result", head); err != nil {
		t.Fatal(err)
	}
	if got := gitT(t, repo, "rev-parse", "refs/heads/cadre/r1/result"); got != head {
		t.Fatalf("branch at %s, want %s", got, head)
	}
	tests := []struct {
		name, branch, commit string
		wantErr              error
	}{
		{"same commit is a no-op", "cadre/r1/result", head, nil},
		{"other commit", "cadre/r1/result", second, ErrBranchExists},
		{"invalid name", "bad..name", head, ErrInvalidName},
		{"option-like name", "-f", head, ErrInvalidName},
		{"unknown commit", "x", "nope", ErrUnknownRevision},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := r.CreateBranch(ctx, tt.branch, tt.commit); !errors.Is(err, tt.wantErr) {
				t.Fatalf("CreateBranch(%s, %s) = %v, want %v", tt.branch, tt.commit, err, tt.wantErr)
			}
		})
	}
}
