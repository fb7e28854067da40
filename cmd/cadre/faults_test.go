package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/examples/demo"
	"github.com/cadre-dev/cadre/messaging"
)

// The demo team against a provider that fails 30 % of its requests (500,
// 429 with Retry-After, streams cut mid-way) and a model that sends
// malformed tool-call arguments: the run ends with the same result tree as
// a clean run, and every fault shows in the journal as a retry or as an
// error result the model saw.
func TestDemoThroughAFaultyProvider(t *testing.T) {
	refRepo := sampleRepo(t)
	_, refURL := startScripted(t, demo.Script(), nil)
	if _, stderr, code := runCadre(t, t.TempDir(), "exec", "--repo", refRepo, "--base-url", refURL, "--model", "m", demo.Task); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, stderr)
	}
	refTree := strings.TrimSpace(git(t, refRepo, "rev-parse", resultBranch(t, refRepo)+"^{tree}"))

	var script map[string]any
	if err := json.Unmarshal(demo.Script(), &script); err != nil {
		t.Fatal(err)
	}
	script["faults"] = map[string]any{"rate": 0.3, "seed": 11, "kinds": []string{"http_500", "http_429", "cut"}, "retry_after_s": 0}
	agents := script["agents"].(map[string]any)
	for a, tool := range map[string]string{"/root/coder_a": "apply_patch", "/root/reviewer": "read_file"} {
		bad := map[string]any{"tool_calls": []any{
			map[string]any{"name": tool, "raw_arguments": `{"patch": "*** Begin Patch`},
		}}
		agents[a] = append([]any{bad}, agents[a].([]any)...)
	}
	raw, err := json.Marshal(script)
	if err != nil {
		t.Fatal(err)
	}
	srv, url := startScripted(t, raw, nil)

	repo := sampleRepo(t)
	// Ten attempts per turn: at 30 % a turn fails them all once in ~170,000.
	writeRepoConfig(t, repo, "[model_providers.cli]\nrequest_max_retries = 9\n")
	out, stderr, code := runCadre(t, t.TempDir(), "exec", "--repo", repo, "--base-url", url, "--model", "m", demo.Task)
	if code != 0 {
		t.Fatalf("faulty run: exit %d\n%s", code, stderr)
	}
	if tree := strings.TrimSpace(git(t, repo, "rev-parse", resultBranch(t, repo)+"^{tree}")); tree != refTree {
		t.Fatalf("result tree %s, want the clean run's %s", tree, refTree)
	}
	faults := map[string]int{}
	for _, s := range srv.Log() {
		if s.Fault != "" {
			faults[s.Fault]++
		}
	}
	for _, k := range []string{"http_500", "http_429", "cut"} {
		if faults[k] == 0 {
			t.Errorf("no %s was served (faults %v): the test does not exercise it", k, faults)
		}
	}
	retries, badArgs := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev messaging.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("bad JSONL line %q", line)
		}
		switch ev.Type {
		case messaging.EvModelRetry:
			retries++
		case messaging.EvToolResult:
			var r messaging.ToolResult
			if ev.Decode(&r) == nil && strings.Contains(r.Output, "not valid JSON") {
				badArgs++
			}
		}
	}
	// Every fault an agent saw is a retry; a request still in flight when
	// the run finished (one per agent at most, 5 here) is not.
	total := faults["http_500"] + faults["http_429"] + faults["cut"]
	if retries > total || retries < total-5 {
		t.Errorf("%d model_retry events for %d faults served", retries, total)
	}
	if badArgs != 2 {
		t.Errorf("%d malformed tool calls answered with an error, want 2", badArgs)
	}
}
