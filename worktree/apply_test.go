package worktree

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// applyRepo is newGitRepo with a user identity (the merge commit of an
// apply is the user's) and a result branch off the initial commit that
// changes a.txt's last line, adds new.txt and deletes b.txt. It returns the
// repository, the base commit and the result commit.
func applyRepo(t *testing.T) (dir, base, result string) {
	t.Helper()
	dir = newGitRepo(t)
	gitT(t, dir, "config", "user.name", "Repo User")
	gitT(t, dir, "config", "user.email", "user@example.com")
	base = gitT(t, dir, "rev-parse", "HEAD")
	r := openT(t, dir)
	w := addT(t, r, filepath.Join(t.TempDir(), "wt"), "cadre/r1/result", base)
	writeFile(t, filepath.Join(w.Path, "a.txt"), "one\ntwo\nTHREE\n")
	writeFile(t, filepath.Join(w.Path, "new.txt"), "new\n")
	if err := os.Remove(filepath.Join(w.Path, "b.txt")); err != nil {
		t.Fatal(err)
	}
	result = snapshotT(t, r, w, "the result")
	if err := r.Remove(context.Background(), w.Path); err != nil {
		t.Fatal(err)
	}
	return dir, base, result
}

// userCommit commits content to path on the checked-out branch as the user.
func userCommit(t *testing.T, dir, path, content string) string {
	t.Helper()
	writeFile(t, filepath.Join(dir, path), content)
	gitT(t, dir, "add", "-A")
	gitT(t, dir, "commit", "-q", "-m", "user edit of "+path)
	return gitT(t, dir, "rev-parse", "HEAD")
}

// workState is everything of the user's repository an apply may change.
type workState struct {
	Head, Branch, Status, Index string
	Files                       map[string]string
	MergeHead                   bool
}

func stateOf(t *testing.T, dir string) workState {
	t.Helper()
	s := workState{
		Head:   gitT(t, dir, "rev-parse", "HEAD"),
		Status: gitT(t, dir, "status", "--porcelain=v1", "--untracked-files=all", "--ignored"),
		Index:  gitT(t, dir, "ls-files", "--stage"),
		Files:  map[string]string{},
	}
	s.Branch, _ = gitTErr(dir, "symbolic-ref", "-q", "HEAD")
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			s.Files[rel] = readFile(t, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(filepath.Join(dir, ".git", "MERGE_HEAD"))
	s.MergeHead = err == nil
	return s
}

func assertUnchanged(t *testing.T, dir string, before workState) {
	t.Helper()
	if after := stateOf(t, dir); !reflect.DeepEqual(after, before) {
		t.Fatalf("the repository changed:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestApplyMergeIntoMakesAMergeCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, _, result := applyRepo(t)
	mine := userCommit(t, dir, "sub/c.txt", "sea\nmore\n") // the user moved on meanwhile
	r := openT(t, dir)

	res, err := r.MergeInto(ctx, result, "cadre: apply run r1")
	if err != nil || res.UpToDate || res.FastForward || len(res.Conflicts) > 0 {
		t.Fatalf("MergeInto = %+v, %v", res, err)
	}
	if head := gitT(t, dir, "rev-parse", "HEAD"); res.Commit != head {
		t.Fatalf("result commit %s, HEAD %s", res.Commit, head)
	}
	if got := gitT(t, dir, "rev-parse", "main"); got != res.Commit {
		t.Fatalf("main at %s, want the merge %s", got, res.Commit)
	}
	if got, want := gitT(t, dir, "log", "-1", "--format=%P%n%s%n%an <%ae>"), mine+" "+result+"\ncadre: apply run r1\nRepo User <user@example.com>"; got != want {
		t.Fatalf("merge commit:\n%s\nwant\n%s", got, want)
	}
	if got := readFile(t, filepath.Join(dir, "a.txt")); got != "one\ntwo\nTHREE\n" {
		t.Errorf("a.txt = %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "new.txt")); got != "new\n" {
		t.Errorf("new.txt = %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "sub", "c.txt")); got != "sea\nmore\n" {
		t.Errorf("the user's own change is lost: sub/c.txt = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("b.txt still there: %v", err)
	}
	if st := gitT(t, dir, "status", "--porcelain"); st != "" {
		t.Errorf("status after the merge:\n%s", st)
	}
	fsckT(t, dir)

	// Merging it again is a no-op.
	before := stateOf(t, dir)
	res, err = r.MergeInto(ctx, result, "again")
	if err != nil || !res.UpToDate || res.Commit != before.Head {
		t.Fatalf("second MergeInto = %+v, %v", res, err)
	}
	assertUnchanged(t, dir, before)
}

// Even when HEAD is still the base, the apply is one merge commit, so the
// run's work is reverted as a unit.
func TestApplyMergeIntoNeverFastForwards(t *testing.T) {
	t.Parallel()
	dir, base, result := applyRepo(t)
	res, err := openT(t, dir).MergeInto(context.Background(), result, "")
	if err != nil || res.FastForward {
		t.Fatalf("MergeInto = %+v, %v", res, err)
	}
	if got := gitT(t, dir, "log", "-1", "--format=%P%n%s"); got != base+" "+result+"\nMerge "+result[:12]+" into main" {
		t.Fatalf("merge commit: %s", got)
	}
}

func TestApplyMergeIntoConflictChangesNothing(t *testing.T) {
	t.Parallel()
	dir, _, result := applyRepo(t)
	userCommit(t, dir, "a.txt", "one\ntwo\nthree, said the user\n")
	writeFile(t, filepath.Join(dir, "debug.log"), "ignored files are not dirty\n")
	before := stateOf(t, dir)

	res, err := openT(t, dir).MergeInto(context.Background(), result, "cadre: apply run r1")
	var pe *PathsError
	if !errors.Is(err, ErrConflict) || !errors.As(err, &pe) || !reflect.DeepEqual(pe.Paths, []string{"a.txt"}) {
		t.Fatalf("MergeInto error %v (%#v)", err, pe)
	}
	if res.Commit != before.Head || !reflect.DeepEqual(res.Conflicts, []string{"a.txt"}) {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(err.Error(), "a.txt") {
		t.Errorf("error does not name the path: %v", err)
	}
	assertUnchanged(t, dir, before)
}

// conflictBlind hides conflicts from merge-tree, so that the real `git
// merge` is the one to find them.
type conflictBlind struct{ ExecGit }

func (g conflictBlind) Run(ctx context.Context, dir string, env []string, stdin io.Reader, args ...string) ([]byte, error) {
	if len(args) > 0 && args[0] == "merge-tree" {
		args = append(args[:len(args)-1:len(args)-1], args[len(args)-2]) // merge ours with ours
	}
	return g.ExecGit.Run(ctx, dir, env, stdin, args...)
}

func TestApplyMergeIntoAbortsAConflictingMerge(t *testing.T) {
	t.Parallel()
	dir, _, result := applyRepo(t)
	userCommit(t, dir, "a.txt", "one\ntwo\nthree, said the user\n")
	userCommit(t, dir, "new.txt", "mine\n")
	before := stateOf(t, dir)

	res, err := openT(t, dir, WithGit(conflictBlind{})).MergeInto(context.Background(), result, "cadre: apply run r1")
	var pe *PathsError
	if !errors.Is(err, ErrConflict) || !errors.As(err, &pe) || !reflect.DeepEqual(pe.Paths, []string{"a.txt", "new.txt"}) {
		t.Fatalf("MergeInto error %v", err)
	}
	if res.Commit != before.Head {
		t.Fatalf("result %+v", res)
	}
	assertUnchanged(t, dir, before)
}

func TestApplyRefusesADirtyTree(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		dirty func(t *testing.T, dir string)
		paths []string
	}{
		{"modified", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "b.txt"), "local\n") }, []string{"b.txt"}},
		{"staged", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "sub", "c.txt"), "staged\n")
			gitT(t, dir, "add", "sub/c.txt")
		}, []string{"sub/c.txt"}},
		{"untracked", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "notes", "todo.md"), "x\n") }, []string{"notes/todo.md"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir, _, result := applyRepo(t)
			tt.dirty(t, dir)
			before := stateOf(t, dir)
			r := openT(t, dir)

			_, err := r.MergeInto(ctx, result, "m")
			var pe *PathsError
			if !errors.Is(err, ErrDirty) || !errors.As(err, &pe) || !reflect.DeepEqual(pe.Paths, tt.paths) {
				t.Fatalf("MergeInto error %v", err)
			}
			assertUnchanged(t, dir, before)

			err = r.CheckoutNewBranch(ctx, "cadre-apply/r1", result)
			if !errors.Is(err, ErrDirty) || !strings.Contains(err.Error(), tt.paths[0]) {
				t.Fatalf("CheckoutNewBranch error %v", err)
			}
			assertUnchanged(t, dir, before)
		})
	}
}

func TestApplyRefusesDetachedHeadAndOperationsInProgress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, base, result := applyRepo(t)
	gitT(t, dir, "checkout", "-q", "--detach", base)
	before := stateOf(t, dir)
	if _, err := openT(t, dir).MergeInto(ctx, result, "m"); !errors.Is(err, ErrDetached) {
		t.Fatalf("detached: %v", err)
	}
	assertUnchanged(t, dir, before)

	gitT(t, dir, "checkout", "-q", "main")
	gitT(t, dir, "branch", "side", base)
	gitT(t, dir, "checkout", "-q", "side")
	userCommit(t, dir, "sub/c.txt", "side\n")
	gitT(t, dir, "checkout", "-q", "main")
	gitT(t, dir, "merge", "-q", "--no-ff", "--no-commit", "side")
	before = stateOf(t, dir)
	_, err := openT(t, dir).MergeInto(ctx, result, "m")
	if !errors.Is(err, ErrInProgress) || !strings.Contains(err.Error(), "a merge") {
		t.Fatalf("merge in progress: %v", err)
	}
	assertUnchanged(t, dir, before)
}

func TestApplyCheckoutNewBranch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, base, result := applyRepo(t)
	r := openT(t, dir)
	if err := r.CheckoutNewBranch(ctx, "cadre-apply/r1", result); err != nil {
		t.Fatal(err)
	}
	if got := gitT(t, dir, "rev-parse", "--abbrev-ref", "HEAD"); got != "cadre-apply/r1" {
		t.Fatalf("checked out %s", got)
	}
	if got := gitT(t, dir, "rev-parse", "HEAD"); got != result {
		t.Fatalf("HEAD %s, want %s", got, result)
	}
	if got := gitT(t, dir, "rev-parse", "main"); got != base {
		t.Fatalf("main moved to %s", got)
	}
	if got := readFile(t, filepath.Join(dir, "new.txt")); got != "new\n" {
		t.Fatalf("new.txt = %q", got)
	}
	if st := gitT(t, dir, "status", "--porcelain"); st != "" {
		t.Fatalf("status:\n%s", st)
	}

	// Again at the same commit: it is checked out.
	gitT(t, dir, "checkout", "-q", "main")
	if err := r.CheckoutNewBranch(ctx, "cadre-apply/r1", result); err != nil {
		t.Fatal(err)
	}
	if got := gitT(t, dir, "rev-parse", "--abbrev-ref", "HEAD"); got != "cadre-apply/r1" {
		t.Fatalf("checked out %s", got)
	}

	// Elsewhere: refused.
	gitT(t, dir, "checkout", "-q", "main")
	before := stateOf(t, dir)
	if err := r.CheckoutNewBranch(ctx, "cadre-apply/r1", base); !errors.Is(err, ErrBranchExists) {
		t.Fatalf("existing branch: %v", err)
	}
	if err := r.CheckoutNewBranch(ctx, "-x", base); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("bad name: %v", err)
	}
	assertUnchanged(t, dir, before)
}

func TestApplyDiffStat(t *testing.T) {
	t.Parallel()
	dir, base, result := applyRepo(t)
	got, err := openT(t, dir).DiffStat(context.Background(), base, result)
	if err != nil {
		t.Fatal(err)
	}
	want := " a.txt   | 2 +-\n b.txt   | 1 -\n new.txt | 1 +\n 3 files changed, 2 insertions(+), 2 deletions(-)\n"
	if got != want {
		t.Fatalf("DiffStat:\n%s\nwant\n%s", got, want)
	}
	if _, err := openT(t, dir).DiffStat(context.Background(), "--output=x", result); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("option as revision: %v", err)
	}
}
