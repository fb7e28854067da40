package supervisor

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
)

// scriptedClient plays fixed turns (in-process; the HTTP path is tested
// elsewhere).
type scriptedClient struct {
	mu    sync.Mutex
	turns []model.Turn
	n     int
}

func (c *scriptedClient) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.turns[min(c.n, len(c.turns)-1)]
	c.n++
	t.Started, t.Finished = time.Now(), time.Now()
	return t, nil
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestCleanArchivesUnmergedWorkAndRemovesTheRest(t *testing.T) {
	repo := testRepo(t)
	patch, _ := json.Marshal(map[string]string{"patch": "*** Begin Patch\n*** Add File: b.txt\n+unmerged work\n*** End Patch"})
	client := &scriptedClient{turns: []model.Turn{
		{ToolCalls: []model.ToolCall{{ID: "c1", Name: "apply_patch", Arguments: string(patch)}}},
		{Text: "left it unreviewed"},
	}}
	state := t.TempDir()
	sup, err := Open(state, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	r, err := sup.Start(context.Background(), RunSpec{
		Repo: repo, Task: "t", RootRole: "coder", Sandbox: SandboxOff, Model: model.Config{Model: "m"},
		NewModel: func(model.Config) (model.Client, error) { return client, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if out := r.Wait(); out.Status != messaging.StatusSucceeded {
		t.Fatalf("run %+v", out)
	}
	branch := "cadre/" + r.ID + "/root"
	tip := strings.TrimSpace(gitOut(t, repo, "rev-parse", branch))

	// A dry run changes nothing.
	if _, err := sup.Clean(context.Background(), 0, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(runDir(state, r.ID)); err != nil {
		t.Fatalf("dry run removed the run's directory: %v", err)
	}
	// Runs younger than --older-than are left alone.
	if done, _ := sup.Clean(context.Background(), time.Hour, false); len(done) != 0 {
		t.Fatalf("cleaned a fresh run: %+v", done)
	}
	done, err := sup.Clean(context.Background(), 0, false)
	if err != nil || len(done) != 1 || len(done[0].Archived) != 1 || len(done[0].Deleted) != 1 {
		t.Fatalf("clean: %+v %v", done, err)
	}
	archived := strings.TrimSpace(gitOut(t, repo, "rev-parse", "refs/cadre/archive/"+r.ID+"/"+branch))
	if archived != tip {
		t.Fatalf("archive points at %s, branch was at %s", archived, tip)
	}
	if out := gitOut(t, repo, "branch", "--list", "cadre/*"); strings.Contains(out, "/root\n") || !strings.Contains(out, "/result") {
		t.Fatalf("branches after clean:\n%s", out)
	}
	if _, err := os.Stat(runDir(state, r.ID)); !os.IsNotExist(err) {
		t.Fatalf("run directory left: %v", err)
	}
	if list := gitOut(t, repo, "worktree", "list", "--porcelain"); strings.Count(list, "worktree ") != 1 {
		t.Fatalf("worktrees left:\n%s", list)
	}
	gitOut(t, repo, "fsck", "--strict")
}
