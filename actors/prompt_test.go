package actors

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
)

// FirstRequest is what an agent of the role really sends first.
func TestFirstRequestIsTheAgentsFirstRequest(t *testing.T) {
	tests := []struct {
		role, addr string
		deliver    bool // the task comes as an assign message
	}{
		{"coder", "/root/coder_a", true},
		{"planner", "/root", false},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			m := &fakeModel{turns: []model.Turn{{Text: "done"}}}
			h := newHost(tt.addr)
			role, _ := LookupRole(tt.role)
			addr := messaging.MustParseAddress(tt.addr)
			a, err := New(Config{Run: "r-20261123-test", Address: addr, Role: role, Model: m, Worktree: t.TempDir(), Host: h, Project: "Run make test."})
			if err != nil {
				t.Fatal(err)
			}
			if tt.deliver {
				a.Deliver(assign("fix it"))
			} else if err := a.Restore([]messaging.Event{messaging.NewEvent("r", addr, 1, time.Now(), messaging.AgentStarted{Role: tt.role, Task: "fix it"})}); err != nil {
				t.Fatal(err)
			}
			if err := runUntilIdle(t, a, h); err != nil {
				t.Fatal(err)
			}
			want := m.reqs[0]
			got, err := FirstRequest(tt.role, FirstRequestOptions{Address: tt.addr, Task: "fix it", Project: "Run make test."})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("FirstRequest:\n%+v\nagent sent:\n%+v", got, want)
			}
		})
	}
}

func TestFirstRequestDefaults(t *testing.T) {
	for _, role := range RoleNames() {
		req, err := FirstRequest(role, FirstRequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := LookupRole(role)
		if len(req.Tools) != len(r.Tools) || len(req.Input) != 1 || !strings.Contains(req.Input[0].Text, "<task>") || !strings.Contains(req.Instructions, "role: "+role) {
			t.Errorf("%s: %+v", role, req)
		}
		if strings.Contains(req.Instructions, "AGENTS.md") {
			t.Errorf("%s: project instructions without a project", role)
		}
	}
	if _, err := FirstRequest("poet", FirstRequestOptions{}); err == nil || !strings.Contains(err.Error(), "known: coder, planner, resolver, review_lead, reviewer, tester") {
		t.Errorf("unknown role: %v", err)
	}
}

func TestEstimateTokens(t *testing.T) {
	for in, want := range map[string]int{"": 0, "a": 1, "abcd": 1, "abcde": 2, strings.Repeat("x", 4000): 1000} {
		if got := EstimateTokens([]byte(in)); got != want {
			t.Errorf("EstimateTokens(%d bytes) = %d, want %d", len(in), got, want)
		}
	}
}
