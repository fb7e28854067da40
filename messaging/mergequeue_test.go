package messaging

import "testing"

func TestMergeRevertedGolden(t *testing.T) {
	at := mustTime("2026-11-23T07:00:00Z")
	p := MergeReverted{Agent: MustParseAddress("/root/coder_b"), Commit: "b0b", Into: "cadre/r-20261123-ab12/result",
		Merged: "3e6", Restored: "a11", Command: []string{"go", "test", "./..."}, ExitCode: 1,
		Failed: []string{"TestScale"}, Output: "--- FAIL: TestScale (0.00s)\nFAIL\n"}
	golden(t, "event_merge_reverted", NewEvent("r-20261123-ab12", Root, 1, at, p))
	golden(t, "event_merge_started", NewEvent("r-20261123-ab12", Root, 1, at, MergeStarted{Agent: p.Agent, Commit: "b0b", Into: p.Into, Prev: "a11"}))
}
