package messaging

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from golden:\n got: %s\nwant: %s", name, got, want)
	}
}

var sampleBodies = []Body{
	Assign{Task: "fix Sum in sum.go", Context: "the test is TestSum"},
	Report{Status: "done", Summary: "fixed", Branch: "cadre/r-20261123-ab12/root-coder_a", Commit: "0123abcd"},
	TestRequest{Agents: []Address{MustParseAddress("/root/coder_a"), MustParseAddress("/root/coder_b")}, Commit: "feed"},
	TestReport{Passed: false, Command: []string{"go", "test", "./..."}, ExitCode: 1, Failed: []string{"TestSum"}, Output: "--- FAIL: TestSum", Commit: "feed"},
	ReviewRequest{Agent: MustParseAddress("/root/coder_a"), Commit: "beef", Base: "cafe", Diff: "--- a/x\n+++ b/x\n"},
	Review{Agent: MustParseAddress("/root/coder_a"), Verdict: VerdictRequestChanges, Summary: "name it", Comments: []Comment{{Path: "sum.go", Line: 3, Body: "add a doc comment"}}, Round: 1},
	Ask{Question: "which file?"},
	Answer{InReplyTo: "m-root-coder_a-1", Text: "sum.go"},
}

func TestEnvelopeGolden(t *testing.T) {
	at := mustTime("2026-11-23T07:00:00Z")
	for i, b := range sampleBodies {
		env, err := NewEnvelope("r-20261123-ab12", Root, MustParseAddress("/root/coder_a"), 2, uint64(i+1), at, b)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "envelope_"+string(b.Kind()), env)
		// The envelope survives a round trip and decodes to the same body.
		raw, _ := json.Marshal(env)
		var back Envelope
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		got, err := back.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, b) {
			t.Fatalf("round trip %s: got %#v want %#v", b.Kind(), got, b)
		}
		if back.ID != "m-root-"+strconv.Itoa(i+1) {
			t.Fatalf("id = %q", back.ID)
		}
	}
}

// Every schema must describe exactly the fields a model may set: each
// schema property is a JSON field of the body (or "to"), and each required
// property is a field the body cannot omit.
func TestSchemasMatchBodies(t *testing.T) {
	if got := len(Kinds()); got != 8 {
		t.Fatalf("%d kinds", got)
	}
	for _, b := range sampleBodies {
		k := b.Kind()
		s, err := SchemaOf(k)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		}
		if err := json.Unmarshal(s.Raw(), &doc); err != nil {
			t.Fatal(err)
		}
		fields := jsonFields(reflect.TypeOf(b))
		for p := range doc.Properties {
			if p == "to" {
				if !HasRecipient(k) {
					t.Errorf("%s: has a 'to' property but HasRecipient is false", k)
				}
				continue
			}
			if _, ok := fields[p]; !ok {
				t.Errorf("%s: schema property %q is not a field of %T", k, p, b)
			}
		}
		if _, ok := doc.Properties["to"]; HasRecipient(k) && !ok {
			t.Errorf("%s: HasRecipient but no 'to' property", k)
		}
		for _, r := range doc.Required {
			if r == "to" {
				continue
			}
			if omit, ok := fields[r]; !ok || omit {
				t.Errorf("%s: required %q is omitempty or missing in %T", k, r, b)
			}
		}
	}
	if _, err := SchemaOf("nope"); !errors.Is(err, ErrUnknownKind) {
		t.Fatal(err)
	}
}

func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		out[name] = strings.Contains(opts, "omitempty")
	}
	return out
}

func TestParseToolCall(t *testing.T) {
	tests := []struct {
		kind    Kind
		args    string
		want    Body
		to      string
		errPart string
	}{
		{kind: KindAssign, args: `{"to":"/root/coder_a","task":"fix it"}`, want: Assign{Task: "fix it"}, to: "/root/coder_a"},
		{kind: KindReview, args: `{"agent":"/root/coder_a","verdict":"approve","summary":"ok"}`, want: Review{Agent: MustParseAddress("/root/coder_a"), Verdict: "approve", Summary: "ok"}},
		{kind: KindReport, args: `{"status":"done","summary":"ok"}`, want: Report{Status: "done", Summary: "ok"}},
		{kind: KindAssign, args: `{"to":"/root/coder_a"}`, errPart: "missing property 'task'"},
		{kind: KindAssign, args: `{"to":"/root/a","task":"x","extra":1}`, errPart: "additional properties 'extra' not allowed"},
		{kind: KindReport, args: `{"status":"finished","summary":"x"}`, errPart: "at /status"},
		{kind: KindReview, args: `{"agent":"/root/a","verdict":"approve","summary":"s","comments":[{"path":"a"}]}`, errPart: "at /comments/0: missing property 'body'"},
		{kind: KindAsk, args: `{"to": "/root", "question": `, errPart: "not valid JSON"},
		{kind: KindAsk, args: ``, errPart: "empty arguments"},
		{kind: KindReview, args: `{"agent":"/etc","verdict":"approve","summary":"s"}`, errPart: "must start with /root"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+tt.args, func(t *testing.T) {
			body, to, err := ParseToolCall(tt.kind, []byte(tt.args))
			if tt.errPart != "" {
				if err == nil || !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrBadAddress) || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(body, tt.want) || to != tt.to {
				t.Fatalf("got %#v to %q", body, to)
			}
		})
	}
}

func TestEventsGolden(t *testing.T) {
	at := mustTime("2026-11-23T07:00:00Z")
	coder := MustParseAddress("/root/coder_a")
	env, _ := NewEnvelope("r-20261123-ab12", Root, coder, 1, 1, at, Assign{Task: "fix"})
	payloads := []Payload{
		RunStarted{Task: "fix the bug", Repo: "/src/demo", BaseBranch: "main", BaseCommit: "cafe", ResultBranch: "cadre/r-20261123-ab12/result", Version: Version},
		RunFinished{Status: StatusSucceeded, Summary: "fixed", ResultBranch: "cadre/r-20261123-ab12/result", ResultCommit: "beef"},
		RunSuspended{Reason: "the model provider kept failing", Error: "model: turn failed after 5 attempts: HTTP 500"},
		Warning{Text: "commands are not confined"},
		AgentStarted{Role: "coder", Parent: Root, Task: "fix", Model: "m", Worktree: "/state/wt", Branch: "cadre/r/root-coder_a", Base: "cafe"},
		AgentIdle{Reason: "reported"},
		AgentFinished{Summary: "done"},
		AgentFailed{Error: "boom"},
		TurnStarted{Turn: 2},
		ModelTurn{Turn: 2, Model: "m", ToolCalls: []ToolCall{{ID: "c1", Name: "read_file", Arguments: `{"path":"a"}`}}, Usage: Usage{Input: 10, CachedInput: 4, Output: 3}, CostUSD: 0.00004, Attempts: 1, Started: at, Finished: at.Add(time.Second)},
		ModelRetry{Turn: 2, Attempt: 1, Error: "HTTP 500", WaitMS: 250},
		ToolCallStarted{CallID: "c1", Name: "read_file", Arguments: `{"path":"a"}`},
		ToolResult{CallID: "c1", Name: "apply_patch", Output: "M a", Changed: []string{"a"}, DurationMS: 3},
		Waiting{From: []Address{coder}, TimeoutMS: 1000},
		MessageSent{Envelope: env},
		MessageDelivered{Envelope: env, Via: ViaWake},
		MessageDropped{Envelope: env, Reason: "sent to generation 1; /root/coder_a was started afresh as generation 2"},
		Snapshot{Branch: "cadre/r/root-coder_a", Commit: "beef", Files: []string{"a"}},
		Merged{Agent: coder, Commit: "beef", Into: "cadre/r/result", Result: "f00d"},
		MergeFailed{Agent: coder, Commit: "beef", Into: "cadre/r/result", Conflicts: []string{"a"}, Error: "conflict"},
		Compacted{Turn: 12, Items: 30, Turns: 8, Summary: "task: fix Sum; changed sum.go; tests pass", InputTokens: 96000, Model: "m", Usage: Usage{Input: 90000, CachedInput: 80000, Output: 400}, CostUSD: 0.0265},
	}
	seen := map[EventType]bool{}
	for _, p := range payloads {
		ev := NewEvent("r-20261123-ab12", coder, 1, at, p)
		golden(t, "event_"+string(p.EventType()), ev)
		seen[p.EventType()] = true
		back := reflect.New(reflect.TypeOf(p)).Interface().(Payload)
		if err := ev.Decode(back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(reflect.ValueOf(back).Elem().Interface(), p) {
			t.Fatalf("round trip %s", p.EventType())
		}
	}
	if err := NewEvent("r", coder, 1, at, Warning{}).Decode(&AgentFailed{}); err == nil {
		t.Fatal("decoded a warning as agent_failed")
	}
	var names []string
	for e := range seen {
		names = append(names, string(e))
	}
	sort.Strings(names)
	if len(names) != 21 {
		t.Fatalf("golden covers %d event types: %v", len(names), names)
	}
}

func TestControlValidate(t *testing.T) {
	coder := MustParseAddress("/root/coder_a")
	tests := []struct {
		c  Control
		ok bool
	}{
		{Control{Action: ActionPause, Target: coder}, true},
		{Control{Action: ActionPause}, false},
		{Control{Action: ActionMessage, Target: coder, Text: "hi"}, true},
		{Control{Action: ActionMessage, Target: coder}, false},
		{Control{Action: ActionCancel}, true},
		{Control{Action: ActionApprove, ApprovalID: "a-1"}, true},
		{Control{Action: ActionDeny}, false},
		{Control{Action: "explode"}, false},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadControl)) {
			t.Errorf("%+v: %v", tt.c, err)
		}
	}
	at := mustTime("2026-11-23T07:00:00Z")
	for _, p := range []Payload{
		ControlReceived{Control: Control{Action: ActionApprove, ApprovalID: "a-1", Always: true, By: "cli"}},
		AgentPaused{Reason: "budget spent"}, AgentResumed{},
		ApprovalRequested{ID: "a-1", Command: []string{"rm", "-rf", "build"}, Reason: "rule [rm -rf] = prompt"},
		ApprovalDecided{ID: "a-1", Approved: false, By: "dashboard", Reason: "no"},
	} {
		golden(t, "event_"+string(p.EventType()), NewEvent("r-20261123-ab12", coder, 1, at, p))
	}
}
