package worktree

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	// Isolate every git the tests run (the package's and the checker's)
	// from the machine's global and system configuration.
	os.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	os.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	os.Exit(m.Run())
}

// gitT runs the real git CLI as the test's independent checker.
func gitT(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := gitTErr(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimRight(out, "\n")
}

func gitTErr(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		// The checker ignores the variables TestHermetic plants.
		if name, _, _ := strings.Cut(kv, "="); name != "GIT_DIR" && name != "GIT_WORK_TREE" &&
			name != "GIT_INDEX_FILE" && !strings.HasPrefix(name, "GIT_AUTHOR_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"GIT_AUTHOR_NAME=tester", "GIT_AUTHOR_EMAIL=tester@example.com",
		"GIT_COMMITTER_NAME=tester", "GIT_COMMITTER_EMAIL=tester@example.com",
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newGitRepo makes a repository on branch main with one commit holding
// a.txt, b.txt, sub/c.txt and a .gitignore that ignores *.log.
func newGitRepo(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	gitT(t, "", "init", "-q", "-b", "main", dir)
	writeFile(t, filepath.Join(dir, "a.txt"), "one\ntwo\nthree\n")
	writeFile(t, filepath.Join(dir, "b.txt"), "bee\n")
	writeFile(t, filepath.Join(dir, "sub", "c.txt"), "sea\n")
	writeFile(t, filepath.Join(dir, ".gitignore"), "*.log\n")
	gitT(t, dir, "add", "-A")
	gitT(t, dir, "commit", "-q", "-m", "initial")
	return dir
}

func openT(t testing.TB, dir string, opts ...Option) *Repo {
	t.Helper()
	r, err := Open(context.Background(), dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return r
}

func addT(t testing.TB, r *Repo, dir, branch, commit string) *Worktree {
	t.Helper()
	w, err := r.Add(context.Background(), dir, branch, commit)
	if err != nil {
		t.Fatalf("Add(%s, %s): %v", dir, branch, err)
	}
	return w
}

var coder = Author{Name: "/root/coder_a", Email: "coder_a@cadre.local"}

func snapshotT(t testing.TB, r *Repo, w *Worktree, msg string) string {
	t.Helper()
	c, changed, err := r.Snapshot(context.Background(), w, coder, msg)
	if err != nil {
		t.Fatalf("Snapshot(%s): %v", w.Path, err)
	}
	if !changed {
		t.Fatalf("Snapshot(%s): changed=false, want a commit", w.Path)
	}
	return c
}

// fsckT fails the test if git fsck reports any problem.
func fsckT(t testing.TB, dir string) {
	t.Helper()
	if out, err := gitTErr(dir, "fsck", "--strict", "--no-dangling", "--no-progress"); err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}
}
