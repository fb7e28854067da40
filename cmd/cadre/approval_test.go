package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor"
	"github.com/cadre-dev/cadre/ui"
)

// A real agent asks to run commands a rule marks "prompt"; a person answers
// in the dashboard: approving lets the command run, denying gives the agent
// the denial and the reason.
func TestDashboardApprovalsReachTheAgent(t *testing.T) {
	repo := sampleRepo(t)
	script := `{"agents":{"/root":[
		{"tool_calls":[{"name":"shell","arguments":{"command":["rm","-rf","build"]}}]},
		{"tool_calls":[{"name":"shell","arguments":{"command":["rm","-rf","build2"]}}]},
		{"tool_calls":[{"name":"report","arguments":{"status":"done","summary":"asked twice"}}]}]}}`
	_, url := startScripted(t, []byte(script), nil)
	sup, err := supervisor.Open(t.TempDir(), supervisor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	ctx := context.Background()
	run, err := sup.Start(ctx, supervisor.RunSpec{
		Repo: repo, Task: "clean up", RootRole: "coder", Interactive: true,
		Model: model.Config{BaseURL: url, Model: "m", WireAPI: model.WireChat},
	})
	if err != nil {
		t.Fatal(err)
	}
	sub := sup.Subscribe(run.ID, 0)
	defer sub.Close()
	next := func(typ messaging.EventType) messaging.Event {
		t.Helper()
		timeout := time.After(time.Minute)
		for {
			select {
			case ev, ok := <-sub.C:
				if !ok {
					t.Fatalf("journal ended before %s", typ)
				}
				if ev.Type == typ {
					return ev
				}
			case <-timeout:
				t.Fatalf("no %s event", typ)
			}
		}
	}

	sim, err := ui.NewSimulator(140, 40)
	if err != nil {
		t.Fatal(err)
	}
	uiCtx, closeUI := context.WithCancel(ctx)
	uiDone := make(chan error, 1)
	go func() { uiDone <- ui.Run(uiCtx, localSource{sup: sup}, run.ID, sim.Options()) }()

	next(messaging.EvApprovalRequested)
	sim.Rune('a')
	if _, err := sim.WaitKeys(time.Minute, func(s string) bool { return strings.Contains(s, "rm -rf build") }); err != nil {
		t.Fatal(err)
	}
	sim.Rune('y')
	var d messaging.ApprovalDecided
	if err := next(messaging.EvApprovalDecided).Decode(&d); err != nil || !d.Approved || d.By != "dashboard" {
		t.Fatalf("decision %+v %v", d, err)
	}
	var r messaging.ToolResult
	if err := next(messaging.EvToolResult).Decode(&r); err != nil || r.IsError || !strings.HasPrefix(r.Output, "exit code: 0") {
		t.Fatalf("approved command: %+v %v", r, err)
	}

	next(messaging.EvApprovalRequested)
	if _, err := sim.WaitKeys(time.Minute, func(s string) bool { return strings.Contains(s, "rm -rf build2") }); err != nil {
		t.Fatal(err)
	}
	sim.Rune('n')
	sim.Type("not today")
	sim.Key(tcell.KeyEnter)
	if err := next(messaging.EvApprovalDecided).Decode(&d); err != nil || d.Approved || d.Reason != "not today" {
		t.Fatalf("decision %+v %v", d, err)
	}
	if err := next(messaging.EvToolResult).Decode(&r); err != nil || !r.IsError || !strings.Contains(r.Output, "command denied by dashboard: not today") {
		t.Fatalf("denied command: %+v %v", r, err)
	}

	// Closing the dashboard does not stop the run; the run ends on its own.
	sim.Rune('q')
	if err := <-uiDone; err != nil {
		t.Fatal(err)
	}
	closeUI()
	if out := run.Wait(); out.Status != messaging.StatusSucceeded {
		t.Fatalf("run %+v", out)
	}
}
