package ui

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{FormatTokens(0), "0"},
		{FormatTokens(999), "999"},
		{FormatTokens(12_345), "12.3k"},
		{FormatTokens(4_100_000), "4.1M"},
		{FormatCost(0), "$0.000"},
		{FormatCost(0.0424), "$0.042"},
		{FormatCost(12.5), "$12.50"},
		{FormatDuration(-time.Second), "0s"},
		{FormatDuration(45*time.Second + 300*time.Millisecond), "45s"},
		{FormatDuration(12*time.Minute + 3*time.Second), "12m03s"},
		{FormatDuration(62 * time.Minute), "1h02m"},
		{oneLine("a\n  b\tc", 10), "a b c"},
		{oneLine("héllo wörld", 8), "héll…"}, {oneLine("héllo", 5), "h…"},
		{clip("abcdef", 4), "abcd\n… (2 more bytes)"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestToolAction(t *testing.T) {
	tests := []struct{ name, args, want string }{
		{"shell", `{"command":["go","test","./..."]}`, "shell: go test ./..."},
		{"shell", `{"command":"make  lint\n"}`, "shell: make lint"},
		{"run_tests", `{}`, "run_tests"},
		{"apply_patch", `{"patch":"*** Begin Patch\n*** Update File: sum.go\n@@\n-a\n+b\n*** Add File: new.go\n+x\n*** Delete File: old.go\n*** End Patch"}`, "apply_patch: M sum.go, A new.go, D old.go"},
		{"apply_patch", `{"input":"nothing"}`, "apply_patch: (no files)"},
		{"read", `{"path":"sum.go"}`, "read: sum.go"},
		{"search", `{"query":"func Sum"}`, "search: func Sum"},
		{"other", `{"x":1}`, `other: {"x":1}`},
		{"shell", `not json`, "shell: not json"},
	}
	for _, tt := range tests {
		if got := ToolAction(tt.name, tt.args); got != tt.want {
			t.Errorf("ToolAction(%s, %s) = %q, want %q", tt.name, tt.args, got, tt.want)
		}
	}
}

func TestSummarizeMessage(t *testing.T) {
	a := messaging.MustParseAddress("/root/coder_a")
	tests := []struct {
		body     messaging.Body
		summary  string
		bodyPart string
	}{
		{messaging.Assign{Task: "Implement\nSum", Context: "see issue"}, "Implement Sum", "see issue"},
		{messaging.Report{Status: "done", Summary: "added"}, "done: added", "added"},
		{messaging.TestRequest{Agents: []messaging.Address{a}, Note: "quick"}, "test /root/coder_a: quick", "quick"},
		{messaging.TestReport{Passed: true, Command: []string{"go", "test"}, Output: "ok"}, "PASS exit 0: go test", "ok"},
		{messaging.TestReport{Command: []string{"go", "test"}, ExitCode: 1, Failed: []string{"TestX"}}, "FAIL exit 1: go test (failed: TestX)", ""},
		{messaging.ReviewRequest{Agent: a}, "review /root/coder_a", ""},
		{messaging.Review{Verdict: "approve", Summary: "fine", Comments: []messaging.Comment{{Path: "a.go", Body: "nit"}}}, "approve: fine (1 comments)", "a.go: nit"},
		{messaging.Ask{Question: "which file?"}, "which file?", "which file?"},
		{messaging.Answer{Text: "sum.go"}, "sum.go", "sum.go"},
	}
	for _, tt := range tests {
		raw, err := json.Marshal(tt.body)
		if err != nil {
			t.Fatal(err)
		}
		sum, body := SummarizeMessage(tt.body.Kind(), raw)
		if sum != tt.summary || !strings.Contains(body, tt.bodyPart) {
			t.Errorf("%s: got %q / %q, want %q / …%q…", tt.body.Kind(), sum, body, tt.summary, tt.bodyPart)
		}
	}
	if sum, _ := SummarizeMessage("nope", []byte(`{"a":1}`)); sum != `{"a":1}` {
		t.Errorf("unknown kind summary = %q", sum)
	}
}

func TestParseCommand(t *testing.T) {
	a := messaging.MustParseAddress("/root/coder_a")
	tests := []struct {
		line string
		want Command
		err  bool
	}{
		{"q", Command{Quit: true}, false},
		{"pause /root/coder_a", Command{Control: messaging.Control{Action: "pause", Target: a}}, false},
		{"resume /root/coder_a", Command{Control: messaging.Control{Action: "resume", Target: a}}, false},
		{"interrupt /root/coder_a", Command{Control: messaging.Control{Action: "interrupt", Target: a}}, false},
		{"msg /root/coder_a  use  int64 please", Command{Control: messaging.Control{Action: "message", Target: a, Text: "use  int64 please"}}, false},
		{"cancel", Command{Control: messaging.Control{Action: "cancel"}}, false},
		{"approve ap-1", Command{Control: messaging.Control{Action: "approve", ApprovalID: "ap-1"}}, false},
		{"deny ap-1 no network here", Command{Control: messaging.Control{Action: "deny", ApprovalID: "ap-1", Text: "no network here"}}, false},
		{"", Command{}, true},
		{"pause", Command{}, true},
		{"pause coder_a", Command{}, true},
		{"msg /root/coder_a", Command{}, true},
		{"approve", Command{}, true},
		{"explode", Command{}, true},
	}
	for _, tt := range tests {
		got, err := ParseCommand(tt.line)
		if (err != nil) != tt.err {
			t.Errorf("ParseCommand(%q) error = %v, want error %v", tt.line, err, tt.err)
			continue
		}
		if err != nil && !errors.Is(err, ErrBadCommand) {
			t.Errorf("ParseCommand(%q) error %v does not wrap ErrBadCommand", tt.line, err)
		}
		if got != tt.want {
			t.Errorf("ParseCommand(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestTreeRows(t *testing.T) {
	agents := []AgentView{
		{Address: messaging.Root, Role: "planner", Status: StatusWaiting, Started: t0},
		{Address: messaging.MustParseAddress("/root/coder_a"), Status: StatusRunning, Action: "shell: go test ./...", Started: t0.Add(time.Minute)},
		{Address: messaging.MustParseAddress("/root/coder_a/helper"), Status: StatusIdle},
		{Address: messaging.MustParseAddress("/root/tester"), Status: StatusPaused},
	}
	tests := []struct {
		filter string
		names  []string
	}{
		{"", []string{"/root", "  coder_a", "    helper", "  tester"}},
		{"coder", []string{"  coder_a", "    helper"}},
		{"nobody", nil},
	}
	for _, tt := range tests {
		rows := TreeRows(agents, tt.filter, t0.Add(2*time.Minute))
		var names []string
		for _, r := range rows {
			names = append(names, r.Cells[0])
			if len(r.Cells) != len(TreeColumns) {
				t.Fatalf("row has %d cells, want %d", len(r.Cells), len(TreeColumns))
			}
		}
		if strings.Join(names, "|") != strings.Join(tt.names, "|") {
			t.Errorf("filter %q: names %q, want %q", tt.filter, names, tt.names)
		}
	}
	rows := TreeRows(agents, "", t0.Add(2*time.Minute))
	if got := rows[1].Cells; got[2] != StatusRunning || got[8] != "1m00s" || got[9] != "shell: go test ./..." || got[4] != "-" {
		t.Errorf("coder_a cells = %q", got)
	}
	if rows[2].Cells[8] != "-" {
		t.Errorf("age without a start = %q", rows[2].Cells[8])
	}
}

func TestHeaderAndApprovals(t *testing.T) {
	s := Snapshot{Header: Header{Run: "r-1", Task: "do [it]", Status: "running", Working: 2, Total: 5, Started: t0, Usage: messaging.Usage{Input: 1500, Output: 20}, CostUSD: 0.5, Warning: "commands are not confined"}}
	tests := []struct {
		name      string
		approvals []Approval
		now       time.Time
		want      []string
	}{
		{"no approvals", nil, t0.Add(90 * time.Second), []string{"r-1", "agents [::b]2/5", "1.5k in / 20 out", "$0.500", "1m30s", "approvals 0", "do [it[]", "⚠ commands are not confined"}},
		{"one approval", []Approval{{ID: "a1"}}, t0, []string{"[red::b]approvals 1"}},
	}
	for _, tt := range tests {
		s.Approvals = tt.approvals
		got := HeaderText(s, tt.now)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: header %q lacks %q", tt.name, got, w)
			}
		}
	}
	fin := s
	fin.Header.Finished = t0.Add(time.Hour)
	if got := HeaderText(fin, t0.Add(5*time.Hour)); !strings.Contains(got, "1h00m") {
		t.Errorf("finished run's elapsed time is not frozen: %q", got)
	}
	rows := ApprovalRows([]Approval{{ID: "a1", Agent: coderA, Command: []string{"curl", "x"}, Reason: "net", Time: t0}}, t0.Add(time.Minute))
	if want := []string{"a1", "/root/coder_a", "1m00s", "curl x", "net"}; strings.Join(rows[0].Cells, "|") != strings.Join(want, "|") {
		t.Errorf("approval row = %q, want %q", rows[0].Cells, want)
	}
}

func TestDetailText(t *testing.T) {
	d := AgentDetail{
		Agent:   AgentView{Address: coderA, Role: "coder", Status: StatusFailed, Files: []string{"a.go"}},
		Task:    "fix [bug]",
		Entries: []Entry{{Time: t0, Kind: EntryResult, Title: "shell → error", Body: "line1\nline2", Error: true}},
		Dropped: 3,
	}
	got := DetailText(d, "--- a/a.go\n+++ b/a.go\n@@ -1 +1 @@\n-old\n+new\n")
	for _, w := range []string{"[maroon]failed", "fix [bug[]", "3 earlier entries", "[red]shell → error", "    line1\n    line2", "files[::-] a.go", "[red]-old", "[green]+new", "[aqua]@@ -1 +1 @@"} {
		if !strings.Contains(got, w) {
			t.Errorf("detail lacks %q:\n%s", w, got)
		}
	}
}

func TestRunRows(t *testing.T) {
	rows := RunRows([]messaging.RunSummary{{ID: "r-1", Status: "running", Active: true, Agents: 3, Usage: messaging.Usage{Input: 1000, Output: 500}, CostUSD: 1, Updated: t0, Repo: "/src", Task: "t"}}, t0.Add(time.Minute))
	want := []string{"r-1", "running", "yes", "3", "1.5k", "$1.000", "1m00s ago", "/src", "t"}
	if strings.Join(rows[0], "|") != strings.Join(want, "|") {
		t.Errorf("run row = %q, want %q", rows[0], want)
	}
}
