package actors

import (
	"context"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
)

type fakeRunner struct{ ran []string }

func (r *fakeRunner) Run(ctx context.Context, cmd sandbox.Command) (sandbox.Result, error) {
	r.ran = append(r.ran, strings.Join(cmd.Argv, " "))
	return sandbox.Result{Output: []byte("ok\n")}, nil
}

func TestGateDeniesAsksAndRemembersAlways(t *testing.T) {
	tests := []struct {
		name     string
		approval string
		decision messaging.ApprovalDecided
		argv     string
		wantErr  string // "" = ran
		wantAsk  bool
	}{
		{"forbidden", ApprovalOnRequest, messaging.ApprovalDecided{}, `["git","push","origin","main"]`, "command denied: forbidden", false},
		{"allowed", ApprovalOnRequest, messaging.ApprovalDecided{}, `["go","test","./..."]`, "", false},
		{"prompt denied", ApprovalOnRequest, messaging.ApprovalDecided{By: "dashboard", Reason: "not now"}, `["rm","-rf","build"]`, "command denied by dashboard: not now", true},
		{"prompt approved", ApprovalOnRequest, messaging.ApprovalDecided{Approved: true, By: "cli"}, `["rm","-rf","build"]`, "", true},
		{"never", ApprovalNever, messaging.ApprovalDecided{Approved: true}, `["rm","-rf","build"]`, "approval_policy is never", false},
		{"untrusted asks unmatched", ApprovalUntrusted, messaging.ApprovalDecided{Approved: true, By: "cli"}, `["frobnicate"]`, "", true},
		{"on-request runs unmatched", ApprovalOnRequest, messaging.ApprovalDecided{}, `["frobnicate"]`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate, err := NewGate(nil, tt.approval)
			if err != nil {
				t.Fatal(err)
			}
			m := &fakeModel{turns: []model.Turn{calls(call("c1", "shell", `{"command":`+tt.argv+`}`)), {Text: "done"}}}
			h := newHost("/root/coder_a")
			h.decision = tt.decision
			r := &fakeRunner{}
			role, _ := LookupRole("coder")
			a, err := New(Config{Address: messaging.MustParseAddress("/root/coder_a"), Role: role, Model: m, Worktree: t.TempDir(), Host: h, Runner: r, Gate: gate})
			if err != nil {
				t.Fatal(err)
			}
			a.Deliver(assign("run it"))
			if err := runUntilIdle(t, a, h); err != nil {
				t.Fatal(err)
			}
			res := h.results()[0]
			if tt.wantErr == "" && (res.IsError || len(r.ran) != 1) {
				t.Fatalf("did not run: %+v ran %v", res, r.ran)
			}
			if tt.wantErr != "" && (!res.IsError || !strings.Contains(res.Output, tt.wantErr) || len(r.ran) != 0) {
				t.Fatalf("result %q ran %v, want error %q", res.Output, r.ran, tt.wantErr)
			}
			if (len(h.asked) > 0) != tt.wantAsk {
				t.Fatalf("asked %v, want ask=%v", h.asked, tt.wantAsk)
			}
		})
	}
}

func TestAlwaysAddsARule(t *testing.T) {
	gate, _ := NewGate(nil, ApprovalOnRequest)
	if v := gate.check([]string{"rm", "-rf", "x"}); !v.ask {
		t.Fatalf("rm -rf should ask: %+v", v)
	}
	gate.allowAlways([]string{"rm", "-rf", "x"})
	// The strictest rule still wins, so the added allow does not lift a prompt
	// rule on the same prefix; it does lift an unmatched command under untrusted.
	g2, _ := NewGate(nil, ApprovalUntrusted)
	if v := g2.check([]string{"frobnicate", "now"}); !v.ask {
		t.Fatal("untrusted should ask for an unmatched command")
	}
	g2.allowAlways([]string{"frobnicate", "now", "please"})
	if v := g2.check([]string{"frobnicate", "now", "again"}); v.ask || v.deny {
		t.Fatalf("always did not stick: %+v", v)
	}
}
