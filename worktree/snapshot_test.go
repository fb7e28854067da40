package worktree

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mainState captures what the user sees in the main work tree: status,
// staged changes and the exact bytes of the index file.
func mainState(t *testing.T, repo string) string {
	t.Helper()
	idx, err := os.ReadFile(filepath.Join(repo, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("status:\n%s\nstaged:\n%s\nindex: %x\nhead: %s",
		gitT(t, repo, "--no-optional-locks", "status", "--porcelain", "--untracked-files=all"),
		gitT(t, repo, "--no-optional-locks", "diff", "--cached", "--name-status"),
		sha256.Sum256(idx), gitT(t, repo, "rev-parse", "HEAD"))
}

func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	// The user's main tree is dirty: modified, staged and untracked files.
	writeFile(t, filepath.Join(repo, "a.txt"), "user edit\n")
	writeFile(t, filepath.Join(repo, "staged.txt"), "staged\n")
	gitT(t, repo, "add", "staged.txt")
	writeFile(t, filepath.Join(repo, "scratch.txt"), "untracked\n")
	before := mainState(t, repo)

	r := openT(t, repo)
	base := gitT(t, repo, "rev-parse", "HEAD")
	w := addT(t, r, filepath.Join(t.TempDir(), "wt"), "cadre/r1/root-coder_a", base)

	// Nothing changed yet.
	c, changed, err := r.Snapshot(ctx, w, coder, "nothing")
	if err != nil || changed || c != base {
		t.Fatalf("Snapshot of an unchanged worktree = %s, %v, %v; want %s, false", c, changed, err, base)
	}

	writeFile(t, filepath.Join(w.Path, "a.txt"), "one\n2\nthree\n")    // modify
	os.Remove(filepath.Join(w.Path, "b.txt"))                          // delete
	writeFile(t, filepath.Join(w.Path, "new", "deep", "n.txt"), "n\n") // untracked
	writeFile(t, filepath.Join(w.Path, "debug.log"), "ignored\n")      // ignored
	when := time.Date(2026, 11, 23, 8, 30, 0, 0, time.FixedZone("", 3600))
	a := coder
	a.When = when
	c, changed, err = r.Snapshot(ctx, w, a, "turn 1: edit a, drop b")
	if err != nil || !changed {
		t.Fatalf("Snapshot = %s, %v, %v", c, changed, err)
	}
	if got := gitT(t, repo, "rev-parse", "refs/heads/"+w.Branch); got != c {
		t.Fatalf("branch at %s, want the snapshot %s", got, c)
	}
	if got := gitT(t, repo, "diff", "--name-status", base, c); got != "M\ta.txt\nD\tb.txt\nA\tnew/deep/n.txt" {
		t.Fatalf("snapshot changes:\n%s", got)
	}
	if got := gitT(t, repo, "log", "-1", "--format=%an|%ae|%cn|%ce|%at|%ai|%P|%B", c); got != fmt.Sprintf(
		"/root/coder_a|coder_a@cadre.local|/root/coder_a|coder_a@cadre.local|%d|2026-11-23 08:30:00 +0100|%s|turn 1: edit a, drop b",
		when.Unix(), base) {
		t.Fatalf("commit metadata: %s", got)
	}
	if st := gitT(t, w.Path, "status", "--porcelain"); st != "" {
		t.Fatalf("worktree not clean after snapshot:\n%s", st)
	}

	// No change since: no commit.
	c2, changed, err := r.Snapshot(ctx, w, coder, "again")
	if err != nil || changed || c2 != c {
		t.Fatalf("second Snapshot = %s, %v, %v; want %s, false", c2, changed, err, c)
	}
	// A change to an ignored file alone is no change either.
	writeFile(t, filepath.Join(w.Path, "debug.log"), "more\n")
	if _, changed, err := r.Snapshot(ctx, w, coder, "ignored"); err != nil || changed {
		t.Fatalf("Snapshot after an ignored change: changed=%v, %v", changed, err)
	}
	// The one-process path for unchanged worktrees still sees a new
	// untracked file and a mode change.
	writeFile(t, filepath.Join(w.Path, "late.txt"), "late\n")
	if _, changed, err := r.Snapshot(ctx, w, coder, "late"); err != nil || !changed {
		t.Fatalf("Snapshot after a new file: changed=%v, %v", changed, err)
	}
	if err := os.Chmod(filepath.Join(w.Path, "late.txt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, changed, err := r.Snapshot(ctx, w, coder, "mode"); err != nil || !changed {
		t.Fatalf("Snapshot after a mode change: changed=%v, %v", changed, err)
	}

	if after := mainState(t, repo); after != before {
		t.Fatalf("main work tree changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	fsckT(t, repo)
}

func TestSnapshotErrors(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	w := addT(t, r, filepath.Join(t.TempDir(), "wt"), "b1", "HEAD")
	other := newGitRepo(t)

	tests := []struct {
		name    string
		w       *Worktree
		a       Author
		wantErr error
	}{
		{"nil worktree", nil, coder, nil},
		{"empty author", w, Author{Email: "x@y"}, ErrInvalidName},
		{"author with angle bracket", w, Author{Name: "a<b"}, ErrInvalidName},
		{"worktree of another repository", &Worktree{Path: other, Branch: "main"}, coder, ErrNotWorktree},
		{"wrong branch", &Worktree{Path: w.Path, Branch: "b2"}, coder, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := r.Snapshot(ctx, tt.w, tt.a, "m")
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Snapshot = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestDiffAndChangedFiles(t *testing.T) {
	ctx := context.Background()
	repo := newGitRepo(t)
	r := openT(t, repo)
	base := gitT(t, repo, "rev-parse", "HEAD")
	w := addT(t, r, filepath.Join(t.TempDir(), "wt"), "b1", base)
	writeFile(t, filepath.Join(w.Path, "a.txt"), "one\nTWO\nthree\n")
	if err := os.Rename(filepath.Join(w.Path, "sub", "c.txt"), filepath.Join(w.Path, "sub", "moved.txt")); err != nil {
		t.Fatal(err)
	}
	head := snapshotT(t, r, w, "edit")

	diff, err := r.Diff(ctx, base, head)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--- a/a.txt", "+++ b/a.txt", "-two", "+TWO"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	files, err := r.ChangedFiles(ctx, base, w.Branch)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(files, ","); got != "a.txt,sub/c.txt,sub/moved.txt" {
		t.Fatalf("ChangedFiles = %s", got)
	}
	if files, err := r.ChangedFiles(ctx, head, head); err != nil || len(files) != 0 {
		t.Fatalf("ChangedFiles(head, head) = %v, %v", files, err)
	}
	if _, err := r.Diff(ctx, "--output=/tmp/x", head); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("Diff with an option as revision = %v, want ErrInvalidName", err)
	}
	if _, err := r.Diff(ctx, "nope", head); err == nil {
		t.Fatal("Diff of an unknown revision succeeded")
	}
}
