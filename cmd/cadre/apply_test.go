package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor"
)

// The -update flag rewrites this file's golden files under testdata/. It is
// registered in init, after every package-level flag.Bool of the package's
// other test files, and only if none of them registered it already.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
}

func applyUpdatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func applyCheckGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if applyUpdatingGolden() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -run %s -update rewrites it)\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

const (
	applyRunID = "r-20261123-ab12"
	applyTask  = "count words in textstat, with tests"
)

var applyT0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func applyAddr(t *testing.T, s string) messaging.Address {
	t.Helper()
	a, err := messaging.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// applyEvents is the journal of a run whose coder changed two files, whose
// tester failed and then passed, whose reviewer asked for changes and then
// approved, and whose second coder failed.
func applyEvents(t *testing.T, run, repo, base, coder, status string) []messaging.Event {
	t.Helper()
	root, coderA, coderB := messaging.Root, applyAddr(t, "/root/coder_a"), applyAddr(t, "/root/coder_b")
	tester, reviewer := applyAddr(t, "/root/tester"), applyAddr(t, "/root/reviewer")
	result := "cadre/" + run + "/result"
	at := applyT0
	var evs []messaging.Event
	add := func(a messaging.Address, p messaging.Payload) {
		at = at.Add(7 * time.Second)
		evs = append(evs, messaging.NewEvent(run, a, 1, at, p))
	}
	seq := uint64(0)
	send := func(from, to messaging.Address, body messaging.Body) {
		seq++
		env, err := messaging.NewEnvelope(run, from, to, 1, seq, at, body)
		if err != nil {
			t.Fatal(err)
		}
		add(from, messaging.MessageSent{Envelope: env})
	}
	turn := func(a messaging.Address, model string, u messaging.Usage, cost float64) {
		add(a, messaging.ModelTurn{Turn: 1, Model: model, Usage: u, CostUSD: cost, Started: at, Finished: at})
	}
	add(messaging.Address{}, messaging.RunStarted{Task: applyTask, Repo: repo, BaseBranch: "main", BaseCommit: base, ResultBranch: result, Team: "default", Version: messaging.Version})
	add(root, messaging.AgentStarted{Role: "planner", Task: applyTask, Model: "gpt-test"})
	turn(root, "", messaging.Usage{Input: 1200, CachedInput: 200, Output: 150}, 0.0125)
	add(coderA, messaging.AgentStarted{Role: "coder", Parent: root, Task: "count words", Model: "gpt-test"})
	turn(coderA, "gpt-test", messaging.Usage{Input: 3000, Output: 800}, 0.031)
	add(coderA, messaging.Snapshot{Branch: "cadre/" + run + "/root-coder_a", Commit: coder, Files: []string{"words.go"}})
	turn(coderA, "gpt-test", messaging.Usage{Input: 3500, CachedInput: 3000, Output: 400}, 0.012)
	add(coderA, messaging.Snapshot{Branch: "cadre/" + run + "/root-coder_a", Commit: coder, Files: []string{"words_test.go", "words.go"}})
	add(coderB, messaging.AgentStarted{Role: "coder", Parent: root, Task: "docs", Model: "gpt-test"})
	add(coderB, messaging.AgentFailed{Error: "the sandbox refused: landlock unavailable"})
	add(tester, messaging.AgentStarted{Role: "tester", Parent: root, Task: "test", Model: "priced"})
	turn(tester, "", messaging.Usage{Input: 500, Output: 50}, 0) // priced from the table
	send(tester, root, messaging.TestReport{Passed: false, Command: []string{"go", "test", "./..."}, ExitCode: 1,
		Failed: []string{"TestCount", "TestEmpty"}, Commit: coder, Agents: []messaging.Address{coderA}})
	send(tester, root, messaging.TestReport{Passed: true, Command: []string{"go", "test", "./..."}, ExitCode: 0, Commit: coder, Agents: []messaging.Address{coderA}})
	add(reviewer, messaging.AgentStarted{Role: "reviewer", Parent: root, Task: "review", Model: "gpt-test"})
	turn(reviewer, "gpt-test", messaging.Usage{Input: 900, Output: 120}, 0.004)
	changes := messaging.Review{Agent: coderA, Verdict: messaging.VerdictRequestChanges, Summary: "handle the empty string", Commit: coder, Round: 1}
	send(reviewer, root, changes)
	send(reviewer, coderA, changes) // forwarded to the author: the same verdict
	send(reviewer, root, messaging.Review{Agent: coderA, Verdict: messaging.VerdictApprove, Summary: "looks right", Commit: coder,
		Merge: "merged into " + result + " at " + messaging.ShortCommit(coder)})
	add(coderA, messaging.Merged{Agent: coderA, Commit: coder, Into: result, Result: coder, FastForward: true})
	if status != "" {
		fin := messaging.RunFinished{Status: status, Summary: "words are counted", ResultBranch: result, ResultCommit: coder}
		if status != messaging.StatusSucceeded {
			fin.Summary, fin.Error = "", "/root reported failed: could not finish the docs"
		}
		add(messaging.Address{}, fin)
	}
	return evs
}

func TestReportGolden(t *testing.T) {
	t.Parallel()
	base, coder := strings.Repeat("b", 40), strings.Repeat("c", 40)
	evs := applyEvents(t, applyRunID, "/src/textstat", base, coder, messaging.StatusSucceeded)
	// A second tester whose last report failed, and a merge that failed.
	var failing []string
	for i := range 23 {
		failing = append(failing, fmt.Sprintf("TestCase%02d", i))
	}
	env, err := messaging.NewEnvelope(applyRunID, applyAddr(t, "/root/tester_b"), messaging.Root, 1, 1, applyT0,
		messaging.TestReport{Command: []string{"make", "check"}, ExitCode: 2, Failed: failing, Commit: base})
	if err != nil {
		t.Fatal(err)
	}
	extra := []messaging.Event{
		messaging.NewEvent(applyRunID, applyAddr(t, "/root/tester_b"), 1, applyT0, messaging.MessageSent{Envelope: env}),
		messaging.NewEvent(applyRunID, applyAddr(t, "/root/coder_b"), 1, applyT0, messaging.MergeFailed{Agent: applyAddr(t, "/root/coder_b"),
			Commit: strings.Repeat("d", 40), Into: "cadre/" + applyRunID + "/result", Conflicts: []string{"README.md", "words.go"}, Error: "merge conflict"}),
	}
	evs = append(evs[:len(evs)-1:len(evs)-1], append(extra, evs[len(evs)-1])...)
	priced := func(model string, u messaging.Usage) float64 {
		if model == "priced" {
			return float64(u.Input) * 1e-5
		}
		return 0
	}
	rep := BuildReport(evs, priced)
	if rep.Status != messaging.StatusSucceeded || !rep.Finished || rep.ResultCommit != coder || len(rep.Agents) != 5 {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Tests) != 2 || !rep.Tests[0].Passed || rep.Tests[1].Passed || len(rep.Tests[1].Failed) != 23 {
		t.Errorf("tests: want only the last report, got %+v", rep.Tests)
	}
	if len(rep.Reviews) != 2 {
		t.Errorf("reviews: want 2 verdicts, got %+v", rep.Reviews)
	}
	if got := rep.Agents[1]; got.Address.String() != "/root/coder_a" || !reflect.DeepEqual(got.Files, []string{"words.go", "words_test.go"}) || got.Snapshots != 2 || len(got.Merged) != 1 {
		t.Errorf("coder_a: %+v", got)
	}
	if rep.Turns != 5 || rep.Usage != (messaging.Usage{Input: 9100, CachedInput: 3200, Output: 1520}) || rep.CostUSD < 0.0644 || rep.CostUSD > 0.0646 {
		t.Errorf("totals: %d turns, %+v, $%f", rep.Turns, rep.Usage, rep.CostUSD)
	}
	var b bytes.Buffer
	if err := WriteReport(&b, rep); err != nil {
		t.Fatal(err)
	}
	applyCheckGolden(t, "apply_report.golden", b.String())

	// Without run_finished: running; ending suspended: interrupted.
	unfinished := evs[:len(evs)-1]
	if r := BuildReport(unfinished, nil); r.Status != "running" || r.Finished || r.ResultCommit != "" {
		t.Errorf("unfinished: %s %v %q", r.Status, r.Finished, r.ResultCommit)
	}
	susp := append(append([]messaging.Event(nil), unfinished...), messaging.NewEvent(applyRunID, messaging.Address{}, 0, applyT0, messaging.RunSuspended{Reason: "the model provider failed", Error: "500"}))
	if r := BuildReport(susp, nil); r.Status != "interrupted" || r.Error != "the model provider failed: 500" {
		t.Errorf("suspended: %s %q", r.Status, r.Error)
	}
	if r := BuildReport(nil, nil); r.Status != "running" || len(r.Agents) != 0 {
		t.Errorf("no events: %+v", r)
	}
}

// applyFixture is a user's repository on main at the base commit, with the
// branches a run left (the coder's and the result, both at the coder's
// commit), and a state directory whose journal holds that run.
type applyFixture struct {
	repo, state  string
	base, result string
}

// applyGit runs git as the test's own tool: no machine configuration, and
// fixed identities and dates so that commit ids (and the golden files) are
// the same on every run.
func applyGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	date := "2026-11-23T09:00:00+0000"
	cmd.Env = append(env, "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func applyWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const applyWordsGo = "package textstat\n\nimport \"strings\"\n\n// Words splits s into words.\nfunc Words(s string) []string {\n\treturn strings.Fields(s)\n}\n"

func newApplyFixture(t *testing.T) applyFixture {
	t.Helper()
	f := applyFixture{repo: filepath.Join(t.TempDir(), "textstat"), state: t.TempDir()}
	applyGit(t, "", "init", "-q", "-b", "main", f.repo)
	// The apply's merge commit is the user's: their identity is configured.
	applyGit(t, f.repo, "config", "user.name", "Repo User")
	applyGit(t, f.repo, "config", "user.email", "user@example.com")
	applyWrite(t, filepath.Join(f.repo, "words.go"), applyWordsGo)
	applyWrite(t, filepath.Join(f.repo, "README.md"), "# textstat\n")
	applyGit(t, f.repo, "add", "-A")
	applyGit(t, f.repo, "commit", "-q", "-m", "textstat")
	f.base = applyGit(t, f.repo, "rev-parse", "HEAD")

	applyGit(t, f.repo, "checkout", "-q", "-b", "cadre/"+applyRunID+"/root-coder_a")
	applyWrite(t, filepath.Join(f.repo, "words.go"), applyWordsGo+"\n// Count counts the words of s.\nfunc Count(s string) int { return len(Words(s)) }\n")
	applyWrite(t, filepath.Join(f.repo, "words_test.go"), "package textstat\n\nimport \"testing\"\n\nfunc TestCount(t *testing.T) {\n\tif Count(\"a b\") != 2 {\n\t\tt.Fatal(\"a b\")\n\t}\n}\n")
	applyGit(t, f.repo, "add", "-A")
	applyGit(t, f.repo, "commit", "-q", "-m", "/root/coder_a: work in progress")
	f.result = applyGit(t, f.repo, "rev-parse", "HEAD")
	applyGit(t, f.repo, "branch", "cadre/"+applyRunID+"/result", f.result)
	applyGit(t, f.repo, "checkout", "-q", "main")

	applyWriteJournal(t, f.state,
		applyEvents(t, applyRunID, f.repo, f.base, f.result, messaging.StatusSucceeded),
		applyEvents(t, "r-20261123-fa11", f.repo, f.base, f.result, messaging.StatusFailed),
		applyEvents(t, "r-20261123-1111", f.repo, f.base, f.result, ""), // killed: no run_finished
	)
	return f
}

func applyWriteJournal(t *testing.T, state string, runs ...[]messaging.Event) {
	t.Helper()
	sup, err := supervisor.Open(state, supervisor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	for _, evs := range runs {
		if _, err := sup.Journal().Append(context.Background(), evs...); err != nil {
			t.Fatal(err)
		}
	}
}

// repoState is everything of the user's repository that apply may change.
func applyRepoState(t *testing.T, dir string) string {
	t.Helper()
	return applyGit(t, dir, "rev-parse", "HEAD") + "\n" +
		applyGit(t, dir, "rev-parse", "--symbolic-full-name", "HEAD") + "\n" +
		applyGit(t, dir, "for-each-ref", "--format=%(refname) %(objectname)") + "\n" +
		applyGit(t, dir, "status", "--porcelain=v1", "--untracked-files=all", "--ignored") + "\n" +
		applyGit(t, dir, "diff") + "\n" + applyGit(t, dir, "diff", "--cached")
}

// runApply drives `cadre apply` in process; stdin is a terminal when tty.
func runApplyCmd(t *testing.T, f applyFixture, tty bool, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	fac := &Factory{IO: IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}, Getenv: os.Getenv, Version: "test",
		IsTerminal: func() bool { return false }}
	cmd := NewCmdApply(fac, func(ctx context.Context, o *ApplyOptions) error {
		o.StdinTerminal = func() bool { return tty }
		return applyRun(ctx, o)
	})
	cmd.SetArgs(append(args, "--state-dir", f.state))
	cmd.SetIn(fac.IO.In)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	code = exitCode(&errOut, err)
	return out.String(), errOut.String(), code
}

func TestApplyShowsReportAndDiffWithoutApplying(t *testing.T) {
	t.Parallel()
	f := newApplyFixture(t)
	before := applyRepoState(t, f.repo)
	out, stderr, code := runApplyCmd(t, f, false, "", applyRunID)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	applyCheckGolden(t, "apply_show.golden", strings.NewReplacer(f.repo, "$REPO", f.state, "$STATE").Replace(out))
	if !strings.Contains(out, "cadre apply "+applyRunID+" --state-dir "+f.state+" --yes") {
		t.Errorf("does not say how to apply:\n%s", out)
	}
	if after := applyRepoState(t, f.repo); after != before {
		t.Fatalf("the repository changed:\n%s\nwas\n%s", after, before)
	}
}

func TestApplyMerge(t *testing.T) {
	t.Parallel()
	f := newApplyFixture(t)
	// The user went on working: a true merge.
	applyWrite(t, filepath.Join(f.repo, "README.md"), "# textstat\n\nCounts words.\n")
	applyGit(t, f.repo, "commit", "-q", "-am", "readme")
	mine := applyGit(t, f.repo, "rev-parse", "HEAD")

	out, stderr, code := runApplyCmd(t, f, false, "", applyRunID, "--merge", "--yes")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stderr, out)
	}
	head := applyGit(t, f.repo, "rev-parse", "HEAD")
	if !strings.Contains(out, "Merged run "+applyRunID+" into main: "+head[:12]) {
		t.Errorf("output does not name the merge:\n%s", out)
	}
	if got, want := applyGit(t, f.repo, "log", "-1", "--format=%P|%s|%an"), mine+" "+f.result+"|cadre: apply run "+applyRunID+"|Repo User"; got != want {
		t.Fatalf("merge commit %q, want %q", got, want)
	}
	if body := applyGit(t, f.repo, "log", "-1", "--format=%b"); !strings.Contains(body, "Task: "+applyTask) {
		t.Errorf("merge message body %q", body)
	}
	if got := applyGit(t, f.repo, "log", "--format=%s", "main"); !strings.Contains(got, "/root/coder_a: work in progress") {
		t.Errorf("git log of main:\n%s", got)
	}
	for _, p := range []string{"words_test.go", "README.md"} {
		if _, err := os.Stat(filepath.Join(f.repo, p)); err != nil {
			t.Error(err)
		}
	}
	if st := applyGit(t, f.repo, "status", "--porcelain"); st != "" {
		t.Errorf("status after the merge:\n%s", st)
	}

	// Again: already applied, nothing changes.
	before := applyRepoState(t, f.repo)
	out, _, code = runApplyCmd(t, f, false, "", applyRunID, "--yes")
	if code != 0 || !strings.Contains(out, "Already applied") {
		t.Fatalf("second apply: exit %d\n%s", code, out)
	}
	if applyRepoState(t, f.repo) != before {
		t.Fatal("the second apply changed the repository")
	}
}

func TestApplyCheckout(t *testing.T) {
	t.Parallel()
	f := newApplyFixture(t)
	out, stderr, code := runApplyCmd(t, f, false, "", applyRunID, "--checkout", "--yes")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if got := applyGit(t, f.repo, "symbolic-ref", "--short", "HEAD"); got != "cadre-apply/"+applyRunID {
		t.Fatalf("checked out %s\n%s", got, out)
	}
	if got := applyGit(t, f.repo, "rev-parse", "HEAD"); got != f.result {
		t.Fatalf("HEAD %s, want %s", got, f.result)
	}
	if got := applyGit(t, f.repo, "rev-parse", "main"); got != f.base {
		t.Fatalf("main moved to %s", got)
	}
	if _, err := os.Stat(filepath.Join(f.repo, "words_test.go")); err != nil {
		t.Fatal(err)
	}
}

func TestApplyRefusesADirtyTree(t *testing.T) {
	t.Parallel()
	f := newApplyFixture(t)
	applyWrite(t, filepath.Join(f.repo, "README.md"), "# my local edit\n")
	applyWrite(t, filepath.Join(f.repo, "notes", "todo.txt"), "untracked\n")
	before := applyRepoState(t, f.repo)
	for _, mode := range []string{"--merge", "--checkout"} {
		out, stderr, code := runApplyCmd(t, f, false, "", applyRunID, mode, "--yes")
		if code != 1 || !strings.Contains(stderr, "uncommitted changes") || !strings.Contains(stderr, "\n  README.md\n  notes/todo.txt") {
			t.Fatalf("%s: exit %d\nstderr %s", mode, code, stderr)
		}
		if !strings.Contains(out, "run "+applyRunID+": succeeded") {
			t.Errorf("%s: the report was not shown:\n%s", mode, out)
		}
		if after := applyRepoState(t, f.repo); after != before {
			t.Fatalf("%s: the repository changed:\n%s\nwas\n%s", mode, after, before)
		}
	}
}

func TestApplyRefusesARunThatDidNotSucceed(t *testing.T) {
	t.Parallel()
	f := newApplyFixture(t)
	before := applyRepoState(t, f.repo)
	for run, status := range map[string]string{"r-20261123-fa11": "failed", "r-20261123-1111": "interrupted"} {
		out, stderr, code := runApplyCmd(t, f, false, "", run, "--yes")
		if code != 1 || !strings.Contains(stderr, "did not succeed: it is "+status) || !strings.Contains(stderr, "--force") {
			t.Fatalf("%s: exit %d\nstderr %s", run, code, stderr)
		}
		if !strings.Contains(out, "run "+run+": "+status) {
			t.Errorf("%s: report:\n%s", run, out)
		}
		if after := applyRepoState(t, f.repo); after != before {
			t.Fatalf("%s: the repository changed", run)
		}
	}
	// --force applies it anyway.
	if _, stderr, code := runApplyCmd(t, f, false, "", "r-20261123-fa11", "--yes", "--force"); code != 0 {
		t.Fatalf("--force: exit %d\n%s", code, stderr)
	}
	if got := applyGit(t, f.repo, "log", "-1", "--format=%s"); got != "cadre: apply run r-20261123-fa11" {
		t.Fatalf("after --force: %s", got)
	}
}

func TestApplyConflictChangesNothing(t *testing.T) {
	t.Parallel()
	f := newApplyFixture(t)
	applyWrite(t, filepath.Join(f.repo, "words.go"), applyWordsGo+"\n// Count is mine.\nfunc Count(s string) int { return 0 }\n")
	applyGit(t, f.repo, "commit", "-q", "-am", "my own Count")
	before := applyRepoState(t, f.repo)
	_, stderr, code := runApplyCmd(t, f, false, "", applyRunID, "--yes")
	if code != 1 || !strings.Contains(stderr, "would conflict") || !strings.Contains(stderr, "\n  words.go") {
		t.Fatalf("exit %d\nstderr %s", code, stderr)
	}
	if after := applyRepoState(t, f.repo); after != before {
		t.Fatalf("the repository changed:\n%s\nwas\n%s", after, before)
	}
}

func TestApplyDetachedHead(t *testing.T) {
	t.Parallel()
	f := newApplyFixture(t)
	applyGit(t, f.repo, "checkout", "-q", "--detach", "main")
	before := applyRepoState(t, f.repo)
	_, stderr, code := runApplyCmd(t, f, false, "", applyRunID, "--yes")
	if code != 1 || !strings.Contains(stderr, "detached") {
		t.Fatalf("exit %d\nstderr %s", code, stderr)
	}
	if applyRepoState(t, f.repo) != before {
		t.Fatal("the repository changed")
	}
	if _, stderr, code := runApplyCmd(t, f, false, "", applyRunID, "--checkout", "--yes"); code != 0 {
		t.Fatalf("--checkout from a detached HEAD: exit %d\n%s", code, stderr)
	}
}

func TestApplyAsksOnATerminal(t *testing.T) {
	t.Parallel()
	f := newApplyFixture(t)
	before := applyRepoState(t, f.repo)
	out, stderr, code := runApplyCmd(t, f, true, "n\n", applyRunID)
	if code != 0 || !strings.Contains(stderr, "Merge cadre/"+applyRunID+"/result ("+f.result[:12]+") into main in ") || !strings.Contains(out, "Not applied.") {
		t.Fatalf("answer no: exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
	if applyRepoState(t, f.repo) != before {
		t.Fatal("answering no changed the repository")
	}
	out, stderr, code = runApplyCmd(t, f, true, "yes\n", applyRunID)
	if code != 0 || !strings.Contains(out, "Merged run "+applyRunID) {
		t.Fatalf("answer yes: exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
	if got := applyGit(t, f.repo, "log", "-1", "--format=%s"); got != "cadre: apply run "+applyRunID {
		t.Fatalf("HEAD: %s", got)
	}
}

func TestApplyUsageErrors(t *testing.T) {
	t.Parallel()
	f := newApplyFixture(t)
	for _, args := range [][]string{
		{"r-20261123-zzzz"},
		{applyRunID, "--merge", "--checkout"},
		{},
		{applyRunID, "--repo", filepath.Join(f.state, "nope")},
	} {
		if _, stderr, code := runApplyCmd(t, f, false, "", args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d\n%s", args, code, exitUsage, stderr)
		}
	}
}

func TestApplyHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cmd := NewCmdApply(&Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}}, nil)
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"apply RUN [--merge | --checkout] [--yes]", "--checkout", "--repo", "--yes", "--force", "--state-dir", "git revert -m 1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}
