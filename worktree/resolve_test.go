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

func TestConflictCommitAndResolvedMerge(t *testing.T) {
	ctx := context.Background()
	dir := newGitRepo(t)
	r := openT(t, dir)
	a := Author{Name: "/root", Email: "root@cadre.local"}
	edit := func(branch, content string) string {
		gitT(t, dir, "checkout", "-q", "-B", branch, "main")
		writeFile(t, filepath.Join(dir, "a.txt"), content)
		gitT(t, dir, "commit", "-q", "-am", branch)
		return strings.TrimSpace(gitT(t, dir, "rev-parse", "HEAD"))
	}
	x := edit("x", "one\nTWO\nthree\n")
	y := edit("y", "one\ndeux\nthree\n")
	gitT(t, dir, "checkout", "-q", "main")

	c0, conflicts, err := r.ConflictCommit(ctx, x, y, a, "conflicted")
	if err != nil || !reflect.DeepEqual(conflicts, []string{"a.txt"}) {
		t.Fatalf("ConflictCommit = %s %v %v", c0, conflicts, err)
	}
	if p := strings.TrimSpace(gitT(t, dir, "rev-parse", c0+"^@")); p != x {
		t.Errorf("parents of the conflict commit: %q, want %s", p, x)
	}
	content := gitT(t, dir, "show", c0+":a.txt")
	for _, marker := range []string{"<<<<<<< ", "=======", ">>>>>>> ", "TWO", "deux"} {
		if !strings.Contains(content, marker) {
			t.Errorf("conflicted a.txt lacks %q:\n%s", marker, content)
		}
	}
	// A resolver commits a.txt resolved on top of it.
	gitT(t, dir, "checkout", "-q", "-b", "resolve", c0)
	writeFile(t, filepath.Join(dir, "a.txt"), "one\nTWO deux\nthree\n")
	gitT(t, dir, "commit", "-q", "-am", "resolved")
	resolved := strings.TrimSpace(gitT(t, dir, "rev-parse", "HEAD"))
	gitT(t, dir, "checkout", "-q", "main")
	m, err := r.ResolvedMerge(ctx, x, y, resolved, a, "merge y (resolved)")
	if err != nil {
		t.Fatal(err)
	}
	if p := strings.Fields(gitT(t, dir, "rev-parse", m+"^1", m+"^2")); !reflect.DeepEqual(p, []string{x, y}) {
		t.Errorf("parents of the merge: %v, want [%s %s]", p, x, y)
	}
	if got := strings.TrimSpace(gitT(t, dir, "show", m+":a.txt")); got != "one\nTWO deux\nthree" {
		t.Errorf("merged a.txt = %q", got)
	}
	// x now merges into the merge without a conflict: y's work is in it.
	if _, _, err := r.ConflictCommit(ctx, m, y, a, "again"); !errors.Is(err, ErrNoConflict) {
		t.Errorf("ConflictCommit of the merge with y = %v, want ErrNoConflict", err)
	}
	fsckT(t, dir)
}

func TestRestorePaths(t *testing.T) {
	ctx := context.Background()
	dir := newGitRepo(t)
	r := openT(t, dir)
	base := strings.TrimSpace(gitT(t, dir, "rev-parse", "HEAD"))
	w := addT(t, r, filepath.Join(t.TempDir(), "wt"), "agent", base)
	writeFile(t, filepath.Join(w.Path, "a.txt"), "changed\n")
	writeFile(t, filepath.Join(w.Path, "new.txt"), "new\n")
	writeFile(t, filepath.Join(w.Path, "b.txt"), "kept\n")
	if err := r.RestorePaths(ctx, w, base, []string{"a.txt", "new.txt", "gone.txt"}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(w.Path, "a.txt")); got != "one\ntwo\nthree\n" {
		t.Errorf("a.txt = %q, want it as in the commit", got)
	}
	if _, err := os.Stat(filepath.Join(w.Path, "new.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("new.txt still there: %v", err)
	}
	if got := readFile(t, filepath.Join(w.Path, "b.txt")); got != "kept\n" {
		t.Errorf("b.txt = %q: a path not named was touched", got)
	}
	for _, bad := range []string{"../x", "/etc/passwd"} {
		if err := r.RestorePaths(ctx, w, base, []string{bad}); err == nil {
			t.Errorf("RestorePaths(%q) = nil, want an error", bad)
		}
	}
}
