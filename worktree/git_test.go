package worktree

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestExecGitErrorNamesCommand(t *testing.T) {
	dir := t.TempDir()
	_, err := ExecGit{}.Run(context.Background(), dir, nil, nil, "rev-parse", "--verify", "no such")
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 128 {
		t.Fatalf("err = %v, want a *CommandError with exit 128", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, `git rev-parse --verify "no such": exit status 128: fatal: `) || strings.Contains(msg, "hooksPath") {
		t.Fatalf("error message = %q", msg)
	}
}

func TestGitEnv(t *testing.T) {
	parent := []string{
		"PATH=/bin", "HOME=/home/u", "LC_ALL=de_DE.UTF-8",
		"GIT_DIR=/elsewhere/.git", "GIT_WORK_TREE=/elsewhere", "GIT_INDEX_FILE=/tmp/idx",
		"GIT_AUTHOR_NAME=Mallory", "GIT_COMMITTER_EMAIL=m@x", "GIT_CONFIG_PARAMETERS='core.hooksPath'='/evil'",
		"GIT_OBJECT_DIRECTORY=/o", "GIT_COMMON_DIR=/c", "GIT_CONFIG_GLOBAL=/g", "GIT_CEILING_DIRECTORIES=/home",
	}
	got := gitEnv(parent, []string{"GIT_AUTHOR_NAME=/root"})
	want := []string{
		"PATH=/bin", "HOME=/home/u", "GIT_CONFIG_GLOBAL=/g", "GIT_CEILING_DIRECTORIES=/home",
		"LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_AUTHOR_NAME=/root",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("gitEnv =\n%q\nwant\n%q", got, want)
	}
}

// TestHermetic proves that the user's environment and configuration do not
// leak into supervisor operations: a GIT_DIR/GIT_INDEX_FILE pointing
// elsewhere, signing that cannot work, and hooks that would leave a mark.
func TestHermetic(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	decoy := newGitRepo(t)
	marker := filepath.Join(t.TempDir(), "hook-ran")
	hook := "#!/bin/sh\necho \"$0\" >> " + marker + "\n"
	for _, name := range []string{"post-checkout", "pre-commit", "post-commit", "reference-transaction", "post-merge"} {
		writeFile(t, filepath.Join(repo, ".git", "hooks", name), hook)
		if err := os.Chmod(filepath.Join(repo, ".git", "hooks", name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	gitT(t, repo, "config", "commit.gpgsign", "true")
	gitT(t, repo, "config", "gpg.program", "/nonexistent/gpg")
	t.Setenv("GIT_DIR", filepath.Join(decoy, ".git"))
	t.Setenv("GIT_WORK_TREE", decoy)
	t.Setenv("GIT_INDEX_FILE", filepath.Join(decoy, ".git", "index"))
	t.Setenv("GIT_AUTHOR_NAME", "Mallory")

	r := openT(t, repo)
	if r.Root() != repo {
		t.Fatalf("Root() = %s, want %s (GIT_DIR leaked)", r.Root(), repo)
	}
	base := gitT(t, repo, "rev-parse", "HEAD")
	if err := r.CreateBranch(ctx, "result", base); err != nil {
		t.Fatal(err)
	}
	w := addT(t, r, filepath.Join(t.TempDir(), "wt"), "agent", base)
	writeFile(t, filepath.Join(w.Path, "a.txt"), "changed\n")
	c := snapshotT(t, r, w, "turn")
	if _, err := r.Merge(ctx, "result", "agent", coder, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a hook ran: %s", readFile(t, marker))
	}
	if got := gitT(t, repo, "log", "-1", "--format=%an", c); got != coder.Name {
		t.Fatalf("author = %q, want %q", got, coder.Name)
	}
	if got := gitT(t, decoy, "rev-list", "--all", "--count"); got != "1" {
		t.Fatalf("decoy repository got commits: %s", got)
	}
}

// faultyGit runs the real git but fails the first command whose arguments
// start with failOn, and records the environment given to commit-tree.
type faultyGit struct {
	failOn []string
	mu     sync.Mutex
	env    [][]string
}

func (f *faultyGit) Run(ctx context.Context, dir string, env []string, stdin io.Reader, args ...string) ([]byte, error) {
	f.mu.Lock()
	if args[0] == "commit-tree" {
		f.env = append(f.env, env)
	}
	f.mu.Unlock()
	if len(args) >= len(f.failOn) && slices.Equal(args[:len(f.failOn)], f.failOn) {
		return nil, &CommandError{Args: args, Dir: dir, ExitCode: 128, Stderr: "fatal: injected failure", Err: errors.New("exit status 128")}
	}
	return ExecGit{}.Run(ctx, dir, env, stdin, args...)
}

func TestFakeGitErrorsAreWrapped(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	dir := filepath.Join(t.TempDir(), "wt")
	open := func(g Git) (*Repo, error) { return Open(ctx, repo, WithGit(g)) }
	tests := []struct {
		name   string
		failOn []string
		op     func(g Git) error
		want   string
	}{
		{"open", []string{"rev-parse"}, func(g Git) error {
			_, err := open(g)
			return err
		}, "open repository " + repo + ": git rev-parse"},
		{"add", []string{"worktree", "add"}, func(g Git) error {
			r, err := open(g)
			if err == nil {
				_, err = r.Add(ctx, dir, "b", "HEAD")
			}
			return err
		}, "create worktree " + dir + ": git worktree add --quiet --no-track -b b --end-of-options " + dir + " "},
		{"list", []string{"worktree", "list"}, func(g Git) error {
			r, err := open(g)
			if err == nil {
				_, err = r.List(ctx)
			}
			return err
		}, "list worktrees: git worktree list --porcelain -z: exit status 128: fatal: injected failure"},
		{"merge", []string{"merge-base"}, func(g Git) error {
			r, err := open(g)
			if err == nil {
				_, err = r.Merge(ctx, "x", "y", coder, "")
			}
			return err
		}, "merge y into x: git merge-base --is-ancestor "},
	}
	gitT(t, repo, "branch", "x")
	gitT(t, repo, "update-ref", "refs/heads/y", gitT(t, repo, "commit-tree", "-p", "HEAD", "-m", "y", "HEAD^{tree}"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op(&faultyGit{failOn: tt.failOn})
			var ce *CommandError
			if !errors.As(err, &ce) || ce.ExitCode != 128 {
				t.Fatalf("err = %v, want a wrapped *CommandError", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) || !strings.HasSuffix(err.Error(), "fatal: injected failure") {
				t.Fatalf("err = %q\nwant prefix %q and the git stderr", err, tt.want)
			}
		})
	}
}

func TestAuthorDateReachesGit(t *testing.T) {
	repo := newGitRepo(t)
	fg := &faultyGit{failOn: []string{"no such command"}}
	r := openT(t, repo, WithGit(fg))
	w := addT(t, r, filepath.Join(t.TempDir(), "wt"), "b", "HEAD")
	writeFile(t, filepath.Join(w.Path, "f"), "f")
	when := time.Unix(1700000000, 0).In(time.FixedZone("", -5*3600))
	if _, _, err := r.Snapshot(context.Background(), w, Author{Name: "n", Email: "e@x", When: when}, "m"); err != nil {
		t.Fatal(err)
	}
	want := []string{"GIT_AUTHOR_NAME=n", "GIT_AUTHOR_EMAIL=e@x", "GIT_COMMITTER_NAME=n", "GIT_COMMITTER_EMAIL=e@x",
		"GIT_AUTHOR_DATE=1700000000 -0500", "GIT_COMMITTER_DATE=1700000000 -0500"}
	if len(fg.env) != 1 || !slices.Equal(fg.env[0], want) {
		t.Fatalf("commit-tree env = %q, want %q", fg.env, want)
	}
}

func TestCanceledContext(t *testing.T) {
	repo := newGitRepo(t)
	r := openT(t, repo)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, repo); !errors.Is(err, context.Canceled) || errors.Is(err, ErrNotRepo) {
		t.Fatalf("Open(canceled) = %v, want context.Canceled", err)
	}
	if _, err := r.Add(ctx, filepath.Join(t.TempDir(), "wt"), "b", "HEAD"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Add(canceled) = %v, want context.Canceled", err)
	}
}

// racingGit moves a ref behind the package's back just before the package's
// own guarded update-ref of that ref, like a concurrent external writer.
type racingGit struct {
	ref, to string
}

func (g racingGit) Run(ctx context.Context, dir string, env []string, stdin io.Reader, args ...string) ([]byte, error) {
	if len(args) > 3 && args[0] == "update-ref" && slices.Contains(args, g.ref) {
		if _, err := (ExecGit{}).Run(ctx, dir, nil, nil, "update-ref", g.ref, g.to); err != nil {
			return nil, err
		}
	}
	return ExecGit{}.Run(ctx, dir, env, stdin, args...)
}

func TestGuardedRefUpdates(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	base := gitT(t, repo, "rev-parse", "HEAD")
	other := gitT(t, repo, "commit-tree", "-p", base, "-m", "external", "HEAD^{tree}")

	t.Run("snapshot", func(t *testing.T) {
		r := openT(t, repo, WithGit(racingGit{ref: "refs/heads/snap", to: other}))
		w := addT(t, r, filepath.Join(t.TempDir(), "wt"), "snap", base)
		writeFile(t, filepath.Join(w.Path, "a.txt"), "x\n")
		if _, _, err := r.Snapshot(ctx, w, coder, "m"); !errors.Is(err, ErrRefMoved) {
			t.Fatalf("Snapshot = %v, want ErrRefMoved", err)
		}
		if got := gitT(t, repo, "rev-parse", "refs/heads/snap"); got != other {
			t.Fatalf("the external update was lost: branch at %s", got)
		}
	})
	t.Run("merge", func(t *testing.T) {
		gitT(t, repo, "branch", "into", base)
		gitT(t, repo, "update-ref", "refs/heads/from", gitT(t, repo, "commit-tree", "-p", base, "-m", "from", "HEAD^{tree}"))
		r := openT(t, repo, WithGit(racingGit{ref: "refs/heads/into", to: other}))
		if _, err := r.Merge(ctx, "into", "from", coder, ""); !errors.Is(err, ErrRefMoved) {
			t.Fatalf("Merge = %v, want ErrRefMoved", err)
		}
		if got := gitT(t, repo, "rev-parse", "refs/heads/into"); got != other {
			t.Fatalf("the external update was lost: branch at %s", got)
		}
	})
}
