package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/messaging"
)

// Scenarios of "the team really works together", end to end: the real
// binary, the default sandbox, the scripted model server over HTTP, and a
// small repository made with the git CLI.

// scenarioCheck is the project's test of the scenario repositories: it
// passes while a <= 1 or b <= 1, so a=2 and b=2 each pass alone and fail
// together. --test-command is split into fields, hence a script file.
const scenarioCheck = `test "$(cat a.txt)" -le 1 || test "$(cat b.txt)" -le 1` + "\n"

// scenarioRepo is a repository whose one commit holds a.txt and b.txt
// ("1") and check.sh.
func scenarioRepo(t *testing.T) string {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "ab")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"a.txt": "1\n", "b.txt": "1\n", "check.sh": scenarioCheck} {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, repo, "init", "-q", "-b", "main")
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "base")
	return repo
}

// Script builders: a turn of tool calls, a text turn, one tool call.
type scriptCall struct {
	Name      string `json:"name"`
	Arguments any    `json:"arguments"`
}

type scriptTurn struct {
	Text      string       `json:"text,omitempty"`
	ToolCalls []scriptCall `json:"tool_calls,omitempty"`
}

func tcall(name string, args any) scriptCall { return scriptCall{Name: name, Arguments: args} }

func turn(calls ...scriptCall) scriptTurn { return scriptTurn{ToolCalls: calls} }

func textTurn(text string) scriptTurn { return scriptTurn{Text: text} }

type obj = map[string]any

// patchArgs replaces the one line from with to in file.
func patchArgs(file, from, to string) obj {
	return obj{"patch": "*** Begin Patch\n*** Update File: " + file + "\n@@\n-" + from + "\n+" + to + "\n*** End Patch\n"}
}

func scriptJSON(t *testing.T, agents map[string][]scriptTurn) []byte {
	t.Helper()
	b, err := json.Marshal(obj{"agents": agents})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// execEvents runs `cadre exec` to its end and parses its JSONL stdout.
func execEvents(t *testing.T, state string, args ...string) []messaging.Event {
	t.Helper()
	stdout, stderr, code := runCadre(t, state, append([]string{"exec"}, args...)...)
	var evs []messaging.Event
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var ev messaging.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("stdout line is not an event: %v: %s", err, line)
		}
		evs = append(evs, ev)
	}
	if code != 0 {
		t.Fatalf("cadre exec: exit %d (%d events)\nstderr:\n%s\nlast events:\n%s", code, len(evs), stderr, lastLines(stdout, 15))
	}
	if len(evs) == 0 || evs[len(evs)-1].Type != messaging.EvRunFinished {
		t.Fatalf("last event is not run_finished (%d events)\nstderr:\n%s", len(evs), stderr)
	}
	return evs
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// finished decodes the run_finished event that ends evs.
func finished(t *testing.T, evs []messaging.Event) messaging.RunFinished {
	t.Helper()
	var fin messaging.RunFinished
	if err := evs[len(evs)-1].Decode(&fin); err != nil {
		t.Fatal(err)
	}
	return fin
}

// toolOutputs maps each agent to the outputs of its tool calls, in order.
func toolOutputs(t *testing.T, evs []messaging.Event) map[string][]messaging.ToolResult {
	t.Helper()
	out := map[string][]messaging.ToolResult{}
	for _, ev := range evs {
		if ev.Type != messaging.EvToolResult {
			continue
		}
		var r messaging.ToolResult
		if err := ev.Decode(&r); err != nil {
			t.Fatal(err)
		}
		out[ev.Agent.String()] = append(out[ev.Agent.String()], r)
	}
	return out
}

// checkAt runs check.sh in a linked worktree of repo detached at rev.
func checkAt(t *testing.T, repo, rev string) error {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "check")
	git(t, repo, "worktree", "add", "-q", "--detach", dir, rev)
	defer git(t, repo, "worktree", "remove", "--force", dir)
	cmd := exec.Command("sh", "check.sh")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return &checkError{err: err, out: string(out)}
	}
	return nil
}

type checkError struct {
	err error
	out string
}

func (e *checkError) Error() string { return e.err.Error() + ": " + e.out }

func showFile(t *testing.T, repo, rev, file string) string {
	t.Helper()
	return strings.TrimSpace(git(t, repo, "show", rev+":"+file))
}

// (2) Two branches that each pass the tests alone break them together: the
// merge queue tests coder_b's merge on the merged tree, takes it back and
// tells the requester NOT MERGED; /root sends coder_b back, coder_b fixes
// its branch, and the result branch ends with a=2, b=1, passing.
func TestScenarioMergeQueueCatchesBranchesThatBreakTogether(t *testing.T) {
	repo := scenarioRepo(t)
	base := strings.TrimSpace(git(t, repo, "rev-parse", "HEAD"))
	script := scriptJSON(t, map[string][]scriptTurn{
		"/root": {
			turn(tcall("spawn_agent", obj{"role": "coder", "name": "coder_a", "task": "set a to 2"}),
				tcall("spawn_agent", obj{"role": "coder", "name": "coder_b", "task": "set b to 2"}),
				tcall("spawn_agent", obj{"role": "reviewer", "name": "reviewer", "task": "review"})),
			turn(tcall("wait", obj{"from": []string{"/root/coder_a", "/root/coder_b"}})),
			turn(tcall("review_request", obj{"to": "/root/reviewer", "agent": "/root/coder_a"})),
			turn(tcall("wait", obj{"from": []string{"/root/reviewer"}})),
			turn(tcall("review_request", obj{"to": "/root/reviewer", "agent": "/root/coder_b"})),
			turn(tcall("wait", obj{"from": []string{"/root/reviewer"}})),
			turn(tcall("assign", obj{"to": "/root/coder_b", "task": "your merge was reverted: make b work with a=2"})),
			turn(tcall("wait", obj{"from": []string{"/root/coder_b"}})),
			turn(tcall("review_request", obj{"to": "/root/reviewer", "agent": "/root/coder_b", "note": "fixed"})),
			turn(tcall("wait", obj{"from": []string{"/root/reviewer"}})),
			textTurn("queue done"),
		},
		"/root/coder_a": {
			turn(tcall("apply_patch", patchArgs("a.txt", "1", "2"))),
			turn(tcall("report", obj{"status": "done", "summary": "a=2"})),
			turn(tcall("wait", obj{})),
		},
		"/root/coder_b": {
			turn(tcall("apply_patch", patchArgs("b.txt", "1", "2"))),
			turn(tcall("report", obj{"status": "done", "summary": "b=2"})),
			turn(tcall("apply_patch", patchArgs("b.txt", "2", "1"))),
			turn(tcall("report", obj{"status": "done", "summary": "b=1 again"})),
			turn(tcall("wait", obj{})),
		},
		"/root/reviewer": {
			turn(tcall("wait", obj{})),
			turn(tcall("review", obj{"agent": "/root/coder_a", "verdict": "approve", "summary": "ok"})),
			turn(tcall("wait", obj{})),
			turn(tcall("review", obj{"agent": "/root/coder_b", "verdict": "approve", "summary": "ok"})),
			turn(tcall("wait", obj{})),
			turn(tcall("review", obj{"agent": "/root/coder_b", "verdict": "approve", "summary": "ok again"})),
			turn(tcall("wait", obj{})),
		},
	})
	_, url := startScripted(t, script, nil)
	evs := execEvents(t, t.TempDir(), "--repo", repo, "--base-url", url, "--model", "m",
		"--test-command", "sh check.sh", "set a and b to 2")
	fin := finished(t, evs)
	if fin.Status != messaging.StatusSucceeded || fin.Summary != "queue done" {
		t.Fatalf("run finished %+v", fin)
	}
	run := evs[0].Run
	if !regexp.MustCompile(`^r-\d{8}-[a-z0-9]{4}$`).MatchString(run) {
		t.Fatalf("run id %q", run)
	}

	var merged []messaging.Merged
	var reverted []messaging.MergeReverted
	var reviewsToRoot []string
	for _, ev := range evs {
		switch ev.Type {
		case messaging.EvMerged:
			var m messaging.Merged
			if err := ev.Decode(&m); err != nil {
				t.Fatal(err)
			}
			merged = append(merged, m)
		case messaging.EvMergeReverted:
			var rv messaging.MergeReverted
			if err := ev.Decode(&rv); err != nil {
				t.Fatal(err)
			}
			reverted = append(reverted, rv)
		case messaging.EvMessageDelivered:
			var d messaging.MessageDelivered
			if err := ev.Decode(&d); err != nil {
				t.Fatal(err)
			}
			if ev.Agent.IsRoot() && d.Envelope.Kind == messaging.KindReview {
				reviewsToRoot = append(reviewsToRoot, string(ev.Data))
			}
		}
	}
	// The queue merged a, then b (taken back), then b's fix.
	if len(reverted) != 1 {
		t.Fatalf("%d merge_reverted events, want 1: %+v", len(reverted), reverted)
	}
	rv := reverted[0]
	if rv.Agent.String() != "/root/coder_b" || rv.ExitCode == 0 || strings.Join(rv.Command, " ") != "sh check.sh" {
		t.Errorf("merge_reverted %+v, want coder_b's merge failing sh check.sh", rv)
	}
	if len(merged) != 2 || merged[0].Agent.String() != "/root/coder_a" || merged[1].Agent.String() != "/root/coder_b" {
		t.Fatalf("merged events %+v, want coder_a's then coder_b's", merged)
	}
	if rv.Restored != merged[0].Result {
		t.Errorf("the revert restored %s, want a's merge %s", rv.Restored, merged[0].Result)
	}
	// The requester is told, in the review it receives.
	if len(reviewsToRoot) != 3 || !strings.Contains(reviewsToRoot[1], "NOT MERGED") || strings.Contains(reviewsToRoot[2], "NOT MERGED") {
		t.Errorf("reviews /root received (want the second NOT MERGED, the third merged):\n%s", strings.Join(reviewsToRoot, "\n"))
	}

	// The result branch: a=2 from coder_a, b=1 after coder_b's fix; the
	// test command passes on it, and failed on b's reverted merge.
	result := "cadre/" + run + "/result"
	if fin.ResultBranch != result {
		t.Errorf("result branch %q, want %q", fin.ResultBranch, result)
	}
	tip := strings.TrimSpace(git(t, repo, "rev-parse", result))
	if fin.ResultCommit != "" && fin.ResultCommit != tip {
		t.Errorf("run_finished names %s, the branch is at %s", fin.ResultCommit, tip)
	}
	for f, want := range map[string]string{"a.txt": "2", "b.txt": "1"} {
		if got := showFile(t, repo, result, f); got != want {
			t.Errorf("%s:%s = %q, want %q", result, f, got, want)
		}
	}
	if err := checkAt(t, repo, result); err != nil {
		t.Errorf("sh check.sh fails on the result branch: %v", err)
	}
	if err := checkAt(t, repo, rv.Merged); err == nil {
		t.Errorf("sh check.sh passes on the reverted merge %s", rv.Merged)
	}
	if head := strings.TrimSpace(git(t, repo, "rev-parse", "HEAD")); head != base {
		t.Errorf("the user's HEAD moved to %s", head)
	}
}

// (3) and (4) in one run, as in supervisor/planning_test.go: /root plans
// subtask a (a.txt) and b (b.txt, after a). Spawning b first is refused;
// coder_a's patch of b.txt is refused (outside its lease) and writes
// nothing; once a is approved and merged, b starts from the result branch
// and reads a's a.txt; cadre show prints the plan with both merged.
func TestScenarioPlanOrdersSubtasksAndLeasesBoundWrites(t *testing.T) {
	repo := scenarioRepo(t)
	plan := obj{"subtasks": []obj{
		{"id": "a", "description": "set a to 2", "writes": []string{"a.txt"}},
		{"id": "b", "description": "set b to 2", "depends_on": []string{"a"}, "writes": []string{"b.txt"}},
	}}
	script := scriptJSON(t, map[string][]scriptTurn{
		"/root": {
			turn(tcall("submit_plan", plan)),
			turn(tcall("spawn_agent", obj{"role": "coder", "name": "coder_b", "task": "b", "subtask": "b"}),
				tcall("spawn_agent", obj{"role": "coder", "name": "coder_a", "task": "a", "subtask": "a"}),
				tcall("spawn_agent", obj{"role": "reviewer", "name": "reviewer", "task": "review"})),
			turn(tcall("wait", obj{"from": []string{"/root/coder_a"}})),
			turn(tcall("review_request", obj{"to": "/root/reviewer", "agent": "/root/coder_a"})),
			turn(tcall("wait", obj{"from": []string{"/root/reviewer"}})),
			turn(tcall("spawn_agent", obj{"role": "coder", "name": "coder_b", "task": "b", "subtask": "b"})),
			turn(tcall("wait", obj{"from": []string{"/root/coder_b"}})),
			turn(tcall("review_request", obj{"to": "/root/reviewer", "agent": "/root/coder_b"})),
			turn(tcall("wait", obj{"from": []string{"/root/reviewer"}})),
			textTurn("plan done"),
		},
		"/root/coder_a": {
			turn(tcall("apply_patch", patchArgs("b.txt", "1", "9"))),
			turn(tcall("apply_patch", patchArgs("a.txt", "1", "2"))),
			turn(tcall("report", obj{"status": "done", "summary": "a=2"})),
			turn(tcall("wait", obj{})),
		},
		"/root/coder_b": {
			turn(tcall("read_file", obj{"path": "a.txt"})),
			turn(tcall("apply_patch", patchArgs("b.txt", "1", "2"))),
			turn(tcall("report", obj{"status": "done", "summary": "b=2"})),
			turn(tcall("wait", obj{})),
		},
		"/root/reviewer": {
			turn(tcall("wait", obj{})),
			turn(tcall("review", obj{"agent": "/root/coder_a", "verdict": "approve", "summary": "ok"})),
			turn(tcall("wait", obj{})),
			turn(tcall("review", obj{"agent": "/root/coder_b", "verdict": "approve", "summary": "ok"})),
			turn(tcall("wait", obj{})),
		},
	})
	_, url := startScripted(t, script, nil)
	state := t.TempDir()
	// No test command: a=2 and b=2 together fail check.sh, and the merge
	// queue is scenario (2)'s subject, not this one's.
	evs := execEvents(t, state, "--repo", repo, "--base-url", url, "--model", "m", "set a, then b, to 2")
	fin := finished(t, evs)
	if fin.Status != messaging.StatusSucceeded || fin.Summary != "plan done" {
		t.Fatalf("run finished %+v", fin)
	}
	run := evs[0].Run
	results := toolOutputs(t, evs)
	find := func(agent, name, text string) (messaging.ToolResult, bool) {
		for _, r := range results[agent] {
			if r.Name == name && strings.Contains(r.Output, text) {
				return r, true
			}
		}
		return messaging.ToolResult{}, false
	}
	dump := func(agent string) string {
		var b strings.Builder
		for _, r := range results[agent] {
			b.WriteString("\n  " + r.Name + ": " + oneLine(r.Output, 300))
		}
		return b.String()
	}
	if _, ok := find("/root", "submit_plan", "plan revision 1 accepted"); !ok {
		t.Errorf("the plan was not accepted:%s", dump("/root"))
	}

	// (3) b waits for a's merge: the first spawn of coder_b is refused.
	if _, ok := find("/root", "spawn_agent", `subtask "b" waits for a to be merged into the result branch`); !ok {
		t.Errorf("spawning b before a was merged was not refused:%s", dump("/root"))
	}
	var startedB []messaging.AgentStarted
	var mergedAgents []string
	var mergedA messaging.Merged
	bStartSeq, aMergedSeq := uint64(0), uint64(0)
	for _, ev := range evs {
		switch ev.Type {
		case messaging.EvAgentStarted:
			var p messaging.AgentStarted
			if err := ev.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if ev.Agent.String() == "/root/coder_b" {
				startedB = append(startedB, p)
				bStartSeq = ev.Seq
			}
		case messaging.EvMerged:
			var m messaging.Merged
			if err := ev.Decode(&m); err != nil {
				t.Fatal(err)
			}
			mergedAgents = append(mergedAgents, m.Agent.String())
			if m.Agent.String() == "/root/coder_a" {
				mergedA, aMergedSeq = m, ev.Seq
			}
		}
	}
	if strings.Join(mergedAgents, " ") != "/root/coder_a /root/coder_b" {
		t.Fatalf("merged: %v, want coder_a then coder_b", mergedAgents)
	}
	if len(startedB) != 1 || startedB[0].Subtask != "b" || strings.Join(startedB[0].Lease, " ") != "b.txt" {
		t.Fatalf("coder_b started %+v, want once, on subtask b with lease [b.txt]", startedB)
	}
	if bStartSeq < aMergedSeq {
		t.Errorf("coder_b started (seq %d) before a was merged (seq %d)", bStartSeq, aMergedSeq)
	}
	// b starts from the result branch with a's merge, and reads a=2.
	if startedB[0].Base != mergedA.Result {
		t.Errorf("coder_b's base %s, want a's merge into the result %s", startedB[0].Base, mergedA.Result)
	}
	// read_file numbers lines: "    1  2" is line 1 holding "2".
	if rb := results["/root/coder_b"]; len(rb) == 0 || rb[0].Name != "read_file" || rb[0].IsError ||
		!regexp.MustCompile(`^\s*1\s+2\s*$`).MatchString(rb[0].Output) {
		t.Errorf("coder_b's read_file of a.txt does not show a's merged a=2:%s", dump("/root/coder_b"))
	}

	// (4) coder_a's write outside its lease is refused, says why, and
	// writes nothing.
	r, ok := find("/root/coder_a", "apply_patch", "is outside your write lease")
	if !ok {
		t.Errorf("coder_a's patch of b.txt was not refused for its lease:%s", dump("/root/coder_a"))
	} else if !strings.Contains(r.Output, `b.txt is outside your write lease ["a.txt"] (subtask "a")`) || !r.IsError || len(r.Changed) != 0 {
		t.Errorf("the refusal %+v does not name b.txt, the lease and the subtask, or reports a change", r)
	}
	branchA := "cadre/" + run + "/root-coder_a"
	if got := showFile(t, repo, branchA, "b.txt"); got != "1" {
		t.Errorf("%s:b.txt = %q, want the untouched 1", branchA, got)
	}
	if got := showFile(t, repo, branchA, "a.txt"); got != "2" {
		t.Errorf("%s:a.txt = %q, want 2", branchA, got)
	}
	if diff := git(t, repo, "diff", "--name-only", "main", branchA); strings.TrimSpace(diff) != "a.txt" {
		t.Errorf("coder_a's branch changes %q, want only a.txt", diff)
	}

	// The result holds both subtasks.
	result := "cadre/" + run + "/result"
	for f, want := range map[string]string{"a.txt": "2", "b.txt": "2"} {
		if got := showFile(t, repo, result, f); got != want {
			t.Errorf("%s:%s = %q, want %q", result, f, got, want)
		}
	}

	// cadre show rebuilds the plan from the journal: both merged.
	show, stderr, code := runCadre(t, state, "show", run)
	if code != 0 {
		t.Fatalf("cadre show: exit %d\n%s", code, stderr)
	}
	i := strings.Index(show, "\nPLAN (revision 1)\n")
	if i < 0 {
		t.Fatalf("cadre show prints no PLAN section:\n%s", show)
	}
	section := show[i:]
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^plan revision 1: 2 subtasks \(2 merged\)$`),
		regexp.MustCompile(`(?m)^a\s+merged\s+deps -\s+writes a\.txt$`),
		regexp.MustCompile(`(?m)^b\s+merged\s+deps a\s+writes b\.txt$`),
	} {
		if !want.MatchString(section) {
			t.Errorf("the PLAN section does not match %s:\n%s", want, section)
		}
	}
}
