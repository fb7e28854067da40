package supervisor

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
	"github.com/cadre-dev/cadre/supervisor/plan"
)

// planTeam: /root plans a (writes a.txt) and b (writes b.txt, after a).
// Spawning b first is refused; coder_a tries to write b.txt and is refused,
// then writes a.txt; once a is merged, b starts from the result and sees it.
const twoStepPlan = `{"subtasks":[{"id":"a","description":"set a to 2","writes":["a.txt"]},` +
	`{"id":"b","description":"set b to 2","depends_on":["a"],"writes":["b.txt"]}]}`

var planTeam = scriptedTeam{
	"/root": {
		call("submit_plan", twoStepPlan),
		calls("spawn_agent", `{"role":"coder","name":"coder_b","task":"b","subtask":"b"}`,
			"spawn_agent", `{"role":"coder","name":"coder_a","task":"a","subtask":"a"}`,
			"spawn_agent", `{"role":"reviewer","name":"reviewer","task":"review"}`),
		call("wait", `{"from":["/root/coder_a"]}`),
		call("review_request", `{"to":"/root/reviewer","agent":"/root/coder_a"}`),
		call("wait", `{"from":["/root/reviewer"]}`),
		call("spawn_agent", `{"role":"coder","name":"coder_b","task":"b","subtask":"b"}`),
		call("wait", `{"from":["/root/coder_b"]}`),
		call("review_request", `{"to":"/root/reviewer","agent":"/root/coder_b"}`),
		call("wait", `{"from":["/root/reviewer"]}`),
		{Text: "plan done"},
	},
	"/root/coder_a": {call("apply_patch", patch("b.txt", "1", "9")),
		call("shell", `{"command":["sh","-c","echo 9 > b.txt && echo x > new.txt"]}`),
		call("apply_patch", patch("a.txt", "1", "2")),
		call("report", `{"status":"done","summary":"a=2"}`), call("wait", `{}`)},
	"/root/coder_b": {call("read_file", `{"path":"a.txt"}`), call("apply_patch", patch("b.txt", "1", "2")),
		call("report", `{"status":"done","summary":"b=2"}`), call("wait", `{}`)},
	"/root/reviewer": {
		call("wait", `{}`), call("review", `{"agent":"/root/coder_a","verdict":"approve","summary":"ok"}`),
		call("wait", `{}`), call("review", `{"agent":"/root/coder_b","verdict":"approve","summary":"ok"}`),
		call("wait", `{}`),
	},
}

func TestPlanOrdersSubtasksAndLeasesBoundWrites(t *testing.T) {
	repo := repoWith(t, map[string]string{"a.txt": "1\n", "b.txt": "1\n"})
	var mu sync.Mutex
	var policies []sandbox.Policy
	sup, r := startScripted(t, repo, planTeam, RunSpec{
		NewRunner: func(p sandbox.Policy) (sandbox.Runner, error) {
			mu.Lock()
			policies = append(policies, p)
			mu.Unlock()
			return execRunner{dir: p.Workdir}, nil
		},
	})
	out := r.Wait()
	if out.Status != messaging.StatusSucceeded || out.Summary != "plan done" {
		t.Fatalf("outcome %+v", out)
	}
	results := map[string][]string{} // agent -> tool outputs
	var plans int
	var startedB []messaging.AgentStarted
	var all []messaging.Event
	_ = sup.Journal().Events(r.ID, 0, func(ev messaging.Event) error {
		all = append(all, ev)
		switch ev.Type {
		case messaging.EvToolResult:
			var p messaging.ToolResult
			_ = ev.Decode(&p)
			results[ev.Agent.String()] = append(results[ev.Agent.String()], p.Output)
		case messaging.EvPlanSubmitted:
			plans++
		case messaging.EvAgentStarted:
			var p messaging.AgentStarted
			if ev.Decode(&p) == nil && ev.Agent.String() == "/root/coder_b" {
				startedB = append(startedB, p)
			}
		}
		return nil
	})
	has := func(agent, text string) bool {
		for _, o := range results[agent] {
			if strings.Contains(o, text) {
				return true
			}
		}
		return false
	}
	if plans != 1 || !has("/root", "plan revision 1 accepted") || !has("/root", "ready to start now (spawn_agent with subtask): a") {
		t.Errorf("plan not accepted as expected (%d plan events): %q", plans, results["/root"])
	}
	// (3) b waits for a's merge.
	if !has("/root", `subtask "b" waits for a to be merged into the result branch`) {
		t.Errorf("spawning b before a was merged was not refused: %q", results["/root"])
	}
	if len(startedB) != 1 || startedB[0].Subtask != "b" || fmt.Sprint(startedB[0].Lease) != "[b.txt]" {
		t.Fatalf("coder_b started %+v", startedB)
	}
	// b started from the result branch, with a's merged work.
	if !has("/root/coder_b", "2") || startedB[0].Base == "" {
		t.Errorf("coder_b did not see a's merged a.txt: %q", results["/root/coder_b"])
	}
	// (4) a write outside the lease is refused, and says why.
	if !has("/root/coder_a", `apply_patch refused, nothing was written: b.txt is outside your write lease ["a.txt"] (subtask "a")`) {
		t.Errorf("coder_a's write outside its lease: %q", results["/root/coder_a"])
	}
	// A command's write outside the lease is undone at the snapshot, and
	// the coder is told.
	var toldA bool
	for _, ev := range all {
		if ev.Type == messaging.EvMessageDelivered && ev.Agent.String() == "/root/coder_a" &&
			strings.Contains(string(ev.Data), `b.txt, new.txt changed outside your write lease`) {
			toldA = true
		}
	}
	if !toldA {
		t.Error("coder_a was not told its command's writes outside the lease were undone")
	}
	branchA := "cadre/" + r.ID + "/root-coder_a"
	if got := strings.TrimSpace(gitRun(t, repo, "show", branchA+":b.txt")); got != "1" {
		t.Errorf("coder_a's branch has b.txt = %q, want it undone to 1", got)
	}
	if out := gitRun(t, repo, "ls-tree", "--name-only", branchA); strings.Contains(out, "new.txt") {
		t.Errorf("coder_a's branch keeps new.txt, written outside its lease:\n%s", out)
	}
	// The coders' sandboxes could write only their lease's directories.
	for _, p := range policies {
		if strings.HasSuffix(p.Workdir, "root-coder_a") || strings.HasSuffix(p.Workdir, "root-coder_b") {
			if len(p.WriteLease) != 1 || p.WriteLease[0] != p.Workdir {
				t.Errorf("sandbox of %s: WriteLease %v, want the worktree root (a.txt's directory)", p.Workdir, p.WriteLease)
			}
		}
	}
	// Views rebuild the schedule from the journal alone.
	s := ReplayPlan(all)
	if s == nil {
		t.Fatal("ReplayPlan found no plan")
	}
	for _, id := range []string{"a", "b"} {
		if st, _ := s.State(id); st != plan.Merged {
			t.Errorf("replayed subtask %s is %s, want merged", id, st)
		}
	}
	res := strings.TrimSpace(gitRun(t, repo, "rev-parse", "cadre/"+r.ID+"/result"))
	for f, want := range map[string]string{"a.txt": "2", "b.txt": "2"} {
		if got := strings.TrimSpace(gitRun(t, repo, "show", res+":"+f)); got != want {
			t.Errorf("result %s = %q, want %q", f, got, want)
		}
	}
}
