package supervisor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
)

// execRunner runs commands unconfined in the policy's workdir: the merge
// queue's verdict, not the sandbox, is under test here.
type execRunner struct{ dir string }

func (e execRunner) Run(ctx context.Context, c sandbox.Command) (sandbox.Result, error) {
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Dir = e.dir
	out, err := cmd.CombinedOutput()
	res := sandbox.Result{Output: out}
	if ee, ok := err.(*exec.ExitError); ok {
		res.ExitCode = ee.ExitCode()
	} else if err != nil {
		return res, err
	}
	return res, nil
}
func (execRunner) Close() error { return nil }

func patch(file, from, to string) string {
	return fmt.Sprintf(`{"patch":"*** Begin Patch\n*** Update File: %s\n@@\n-%s\n+%s\n*** End Patch\n"}`, file, from, to)
}

// scriptedTeam is a model client playing fixed turns per agent address:
// an agent's turn n is the one after the n assistant turns already in its
// conversation. Tool call ids are made unique per turn.
type scriptedTeam map[string][]model.Turn

func (s scriptedTeam) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	n := 0
	for _, it := range req.Input {
		if it.Role == model.RoleAssistant {
			n++
		}
	}
	turns := s[req.Agent]
	if n >= len(turns) {
		return model.Turn{}, fmt.Errorf("%s has no turn %d", req.Agent, n)
	}
	t := turns[n]
	t.ToolCalls = append([]model.ToolCall(nil), t.ToolCalls...)
	for i := range t.ToolCalls {
		t.ToolCalls[i].ID = fmt.Sprintf("c%d-%d", n, i)
	}
	t.Started, t.Finished = time.Now(), time.Now()
	return t, nil
}

// calls is a turn of several tool calls (call, in respawn_test.go, of one).
func calls(nameArgs ...string) model.Turn {
	var t model.Turn
	for i := 0; i+1 < len(nameArgs); i += 2 {
		t.ToolCalls = append(t.ToolCalls, model.ToolCall{Name: nameArgs[i], Arguments: nameArgs[i+1]})
	}
	return t
}

// repoWith is a repository whose first commit holds files.
func repoWith(t *testing.T, files map[string]string) string {
	t.Helper()
	repo := t.TempDir()
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(repo, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitRun(t, repo, "init", "-q", "-b", "main")
	gitRun(t, repo, "add", "-A")
	gitRun(t, repo, "commit", "-q", "-m", "base")
	return repo
}

// startScripted starts a run of team on repo, commands run unconfined in
// each agent's worktree.
func startScripted(t *testing.T, repo string, team scriptedTeam, spec RunSpec) (*Supervisor, *Run) {
	t.Helper()
	sup, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sup.Close() })
	spec.Repo, spec.Task, spec.Model = repo, "t", model.Config{Model: "m"}
	spec.NewModel = func(model.Config) (model.Client, error) { return team, nil }
	if team == nil {
		spec.NewModel = func(model.Config) (model.Client, error) { return blockingModel{}, nil }
	}
	if spec.NewRunner == nil {
		spec.NewRunner = func(p sandbox.Policy) (sandbox.Runner, error) { return execRunner{dir: p.Workdir}, nil }
	}
	r, err := sup.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return sup, r
}

// queueTeam: coder_a sets a=2 and coder_b sets b=2; each passes the test
// (a <= 1 or b <= 1) alone, not together. /root has a merged, then b; b's
// merge is reverted, /root sends b back, b fixes itself, and is merged.
var queueTeam = scriptedTeam{
	"/root": {
		calls("spawn_agent", `{"role":"coder","name":"coder_a","task":"a"}`,
			"spawn_agent", `{"role":"coder","name":"coder_b","task":"b"}`,
			"spawn_agent", `{"role":"reviewer","name":"reviewer","task":"review"}`),
		call("wait", `{"from":["/root/coder_a","/root/coder_b"]}`),
		call("review_request", `{"to":"/root/reviewer","agent":"/root/coder_a"}`),
		call("wait", `{"from":["/root/reviewer"]}`),
		call("review_request", `{"to":"/root/reviewer","agent":"/root/coder_b"}`),
		call("wait", `{"from":["/root/reviewer"]}`),
		call("assign", `{"to":"/root/coder_b","task":"your merge was reverted: make b work with a=2"}`),
		call("wait", `{"from":["/root/coder_b"]}`),
		call("review_request", `{"to":"/root/reviewer","agent":"/root/coder_b","note":"fixed"}`),
		call("wait", `{"from":["/root/reviewer"]}`),
		{Text: "queue done"},
	},
	"/root/coder_a": {call("apply_patch", patch("a.txt", "1", "2")), call("report", `{"status":"done","summary":"a=2"}`), call("wait", `{}`)},
	"/root/coder_b": {call("apply_patch", patch("b.txt", "1", "2")), call("report", `{"status":"done","summary":"b=2"}`),
		call("apply_patch", patch("b.txt", "2", "1")), call("report", `{"status":"done","summary":"b=1 again"}`), call("wait", `{}`)},
	"/root/reviewer": {
		call("wait", `{}`), call("review", `{"agent":"/root/coder_a","verdict":"approve","summary":"ok"}`),
		call("wait", `{}`), call("review", `{"agent":"/root/coder_b","verdict":"approve","summary":"ok"}`),
		call("wait", `{}`), call("review", `{"agent":"/root/coder_b","verdict":"approve","summary":"ok again"}`),
		call("wait", `{}`),
	},
}

func TestMergeQueueRevertsAMergeThatBreaksTheTests(t *testing.T) {
	repo := repoWith(t, map[string]string{"a.txt": "1\n", "b.txt": "1\n"})
	sup, r := startScripted(t, repo, queueTeam, RunSpec{
		TestCommand: []string{"sh", "-c", `test "$(cat a.txt)" -le 1 || test "$(cat b.txt)" -le 1`},
	})
	out := r.Wait()
	if out.Status != messaging.StatusSucceeded || out.Summary != "queue done" {
		t.Fatalf("outcome %+v", out)
	}
	var merged, reverted []messaging.Event
	var reviewsToRoot []string
	_ = sup.Journal().Events(r.ID, 0, func(ev messaging.Event) error {
		switch ev.Type {
		case messaging.EvMerged:
			merged = append(merged, ev)
		case messaging.EvMergeReverted:
			reverted = append(reverted, ev)
		case messaging.EvMessageDelivered:
			if ev.Agent.IsRoot() && strings.Contains(string(ev.Data), `"kind":"review"`) {
				reviewsToRoot = append(reviewsToRoot, string(ev.Data))
			}
		}
		return nil
	})
	if len(merged) != 2 || len(reverted) != 1 {
		t.Fatalf("%d merged and %d reverted events, want 2 and 1", len(merged), len(reverted))
	}
	var rv messaging.MergeReverted
	if err := reverted[0].Decode(&rv); err != nil || rv.Agent.String() != "/root/coder_b" || rv.ExitCode == 0 {
		t.Fatalf("merge_reverted %+v, %v", rv, err)
	}
	// The result branch went back to a's merge, which stays.
	var first messaging.Merged
	_ = merged[0].Decode(&first)
	if first.Agent.String() != "/root/coder_a" || rv.Restored != first.Result {
		t.Errorf("restored %s, want a's merge %s", rv.Restored, first.Result)
	}
	if len(reviewsToRoot) != 3 || !strings.Contains(reviewsToRoot[1], "NOT MERGED") {
		t.Errorf("the reviews /root received do not say b was not merged: %v", reviewsToRoot)
	}
	// The final result: a=2 from coder_a, b=1; its tests pass.
	res := strings.TrimSpace(gitRun(t, repo, "rev-parse", "cadre/"+r.ID+"/result"))
	for f, want := range map[string]string{"a.txt": "2", "b.txt": "1"} {
		if got := strings.TrimSpace(gitRun(t, repo, "show", res+":"+f)); got != want {
			t.Errorf("result %s = %q, want %q", f, got, want)
		}
	}
	if out := gitRun(t, repo, "worktree", "list"); strings.Contains(out, queueSlug) {
		t.Errorf("the merge queue's worktree is left behind:\n%s", out)
	}
}

func TestBreaks(t *testing.T) {
	pass := testOutcome{}
	fail := func(names ...string) testOutcome {
		return testOutcome{res: sandbox.Result{ExitCode: 1}, failed: names}
	}
	tests := []struct {
		name          string
		before, after testOutcome
		want          bool
		fresh         []string
	}{
		{"still passes", pass, pass, false, nil},
		{"now fails", pass, fail("TestX"), true, []string{"TestX"}},
		{"now fails, no names", pass, fail(), true, nil},
		{"fewer failures", fail("TestA", "TestB"), fail("TestA"), false, nil},
		{"a new failure", fail("TestA"), fail("TestA", "TestB"), true, []string{"TestB"}},
		{"failed before, fails after, no names", fail(), fail(), false, nil},
		{"fixed", fail("TestA"), pass, false, nil},
	}
	for _, tt := range tests {
		got, fresh := breaks(tt.before, tt.after)
		if got != tt.want || fmt.Sprint(fresh) != fmt.Sprint(tt.fresh) {
			t.Errorf("%s: breaks = %v %v, want %v %v", tt.name, got, fresh, tt.want, tt.fresh)
		}
	}
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// blockingModel never answers: the run stays at its first turn.
type blockingModel struct{}

func (blockingModel) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	<-ctx.Done()
	return model.Turn{}, ctx.Err()
}

// A kill between a merge's ref update and its verdict: resume tests the
// merged tree and reverts the merge that broke the tests.
func TestResumeFinishesAnInterruptedMerge(t *testing.T) {
	repo := repoWith(t, map[string]string{"a.txt": "1\n"})
	check := []string{"sh", "-c", `test "$(cat a.txt)" -le 1`}
	sup, r := startScripted(t, repo, nil, RunSpec{TestCommand: check})
	result := "cadre/" + r.ID + "/result"
	prev := strings.TrimSpace(gitRun(t, repo, "rev-parse", result))
	// A breaking commit on a side branch, merged into the result branch
	// as the queue would, then "killed" before the verdict.
	gitRun(t, repo, "checkout", "-q", "-b", "side", prev)
	if err := os.WriteFile(filepath.Join(repo, "a.txt"), []byte("7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun(t, repo, "commit", "-q", "-am", "a=7")
	side := strings.TrimSpace(gitRun(t, repo, "rev-parse", "HEAD"))
	gitRun(t, repo, "checkout", "-q", "main")
	r.Suspend()
	if _, err := sup.Journal().Append(context.Background(), messaging.NewEvent(r.ID, messaging.Root, 0, time.Now(),
		messaging.MergeStarted{Agent: messaging.Root, Commit: side, Into: result, Prev: prev})); err != nil {
		t.Fatal(err)
	}
	gitRun(t, repo, "update-ref", "refs/heads/"+result, side, prev) // the fast-forward the kill left

	r2, err := sup.Resume(context.Background(), r.ID, RunSpec{Model: model.Config{Model: "m"}, TestCommand: check,
		NewModel:  func(model.Config) (model.Client, error) { return blockingModel{}, nil },
		NewRunner: func(p sandbox.Policy) (sandbox.Runner, error) { return execRunner{dir: p.Workdir}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Suspend()
	if got := strings.TrimSpace(gitRun(t, repo, "rev-parse", result)); got != prev {
		t.Fatalf("result at %s after resume, want the merge reverted to %s", got, prev)
	}
	var reverted []messaging.MergeReverted
	_ = sup.Journal().Events(r.ID, 0, func(ev messaging.Event) error {
		var p messaging.MergeReverted
		if ev.Type == messaging.EvMergeReverted && ev.Decode(&p) == nil {
			reverted = append(reverted, p)
		}
		return nil
	})
	if len(reverted) != 1 || reverted[0].Commit != side || reverted[0].Restored != prev || reverted[0].ExitCode == 0 {
		t.Fatalf("merge_reverted events %+v", reverted)
	}
}
