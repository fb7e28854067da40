package worktree

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestForecast(t *testing.T) {
	ctx := context.Background()
	dir := newGitRepo(t)
	commit := func(branch, file, content string) string {
		gitT(t, dir, "checkout", "-q", branch)
		writeFile(t, filepath.Join(dir, file), content)
		gitT(t, dir, "commit", "-q", "-am", "edit "+file)
		return strings.TrimSpace(gitT(t, dir, "rev-parse", "HEAD"))
	}
	gitT(t, dir, "branch", "x")
	gitT(t, dir, "branch", "y")
	gitT(t, dir, "branch", "z")
	x := commit("x", "a.txt", "one\nTWO\nthree\n")
	y := commit("y", "a.txt", "one\ndeux\nthree\n")
	z := commit("z", "b.txt", "BEE\n")
	gitT(t, dir, "checkout", "-q", "main")
	inProcess := openT(t, dir)
	if inProcess.gg == nil {
		t.Fatalf("go-git cannot open the test repository: %v", inProcess.InProcess())
	}
	cli := openT(t, dir)
	cli.gg = nil // the git CLI path
	for name, r := range map[string]*Repo{"merge3": inProcess, "git merge-tree": cli} {
		got, err := r.Forecast(ctx, x, y)
		if err != nil || !reflect.DeepEqual(got, []string{"a.txt"}) {
			t.Errorf("%s: Forecast(x, y) = %v, %v; want [a.txt]", name, got, err)
		}
		if got, err := r.Forecast(ctx, x, z); err != nil || len(got) != 0 {
			t.Errorf("%s: Forecast(x, z) = %v, %v; want clean", name, got, err)
		}
	}
	// Nothing moved.
	if out := gitT(t, dir, "status", "--porcelain"); out != "" {
		t.Errorf("status after forecasts: %q", out)
	}
}
