package main

import (
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

func TestDescribeTeamEvents(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	coder := messaging.MustParseAddress("/root/coder_b")
	tests := []struct {
		p    messaging.Payload
		want string
	}{
		{messaging.MergeReverted{Commit: "b0b0b0b0b0b0b0", Into: "cadre/r/result", Restored: "a1a1a1a1a1a1a1", Command: []string{"go", "test", "./..."}, Failed: []string{"TestX"}},
			"MERGE REVERTED: b0b0b0b0b0b0 broke go test ./... on the merged tree (failing: TestX); cadre/r/result back at a1a1a1a1a1a1"},
		{messaging.ConflictForecast{Commit: "c", With: "/root/coder_a", Paths: []string{"a.go", "b.go"}}, "CONFLICT FORECAST with /root/coder_a in a.go, b.go"},
		{messaging.PlanSubmitted{Revision: 2}, "plan revision 2 accepted"},
		{messaging.BudgetSet{Budget: messaging.Budget{Turns: 3}, By: "cli"}, "budget of the subtree: 3 turns (by cli)"},
		{messaging.BudgetExhausted{Spent: "turns 3 of 3"}, "BUDGET SPENT: turns 3 of 3 — cadre budget RUN /root/coder_b +AMOUNT"},
		{messaging.MergeFailed{Error: "conflict in a.go", Resolver: messaging.MustParseAddress("/root/resolver_1")}, "MERGE FAILED: conflict in a.go — /root/resolver_1 resolves it"},
	}
	for _, tt := range tests {
		if got := describeEvent(messaging.NewEvent("r", coder, 1, at, tt.p)); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.p.EventType(), got, tt.want)
		}
	}
}
