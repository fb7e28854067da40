package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/gdamore/tcell/v2"
)

func TestScreens(t *testing.T) {
	h := startDashboard(t, teamScript())
	f := h.waitFrame(contains("approvals 1"))
	golden(t, "tree", f.text)

	// Enter on /root/coder_a opens its detail; the diff arrives later.
	h.press(tcell.KeyDown)
	h.press(tcell.KeyEnter)
	f = h.waitFrame(func(f frame) bool { return f.page == pageDetail && strings.Contains(f.text, "+func Sum") })
	golden(t, "detail", f.text)

	h.press(tcell.KeyEscape)
	f = h.typeKeys("m")
	golden(t, "flow", f.text)

	f = h.typeKeys("a")
	golden(t, "approvals", f.text)

	f = h.typeKeys("?")
	if !strings.Contains(f.text, "mission control — keys") || !strings.Contains(f.text, "approvals 1") {
		t.Errorf("help page without its title or the approvals count:\n%s", f.text)
	}
}

func TestApproveRemovesRequest(t *testing.T) {
	s := teamScript()
	h := startDashboard(t, s)
	h.typeKeys("a")
	h.waitFrame(contains("ap-1"))
	h.typeKeys("y")
	c := h.control()
	if c.Action != messaging.ActionApprove || c.ApprovalID != "ap-1" || c.Always || c.By != "dashboard" {
		t.Fatalf("y sent %+v, want approve ap-1", c)
	}

	decided := messaging.NewEvent(testRun, messaging.MustParseAddress("/root/coder_b"), 1, t0.Add(time.Minute), messaging.ApprovalDecided{ID: "ap-1", Approved: true, By: "dashboard"})
	decided.Seq = h.seq + 1
	f := h.feed(decided)
	if strings.Contains(f.text, "curl -sSf") || !strings.Contains(f.text, "approvals 0") {
		t.Fatalf("approval still listed after approval_decided:\n%s", f.text)
	}
	f = h.press(tcell.KeyEscape)
	if line := lineWith(f.text, "coder_b"); !strings.Contains(line, StatusRunning) || strings.Contains(line, StatusWaitingApproval) {
		t.Fatalf("coder_b line after approval = %q, want running", line)
	}
}

func TestApproveAlwaysAndDeny(t *testing.T) {
	h := startDashboard(t, teamScript())
	h.typeKeys("a")
	h.waitFrame(contains("ap-1"))
	h.typeKeys("A")
	if c := h.control(); c.Action != messaging.ActionApprove || !c.Always || c.ApprovalID != "ap-1" {
		t.Fatalf("A sent %+v, want approve always", c)
	}
	h.typeKeys("n")
	h.waitFrame(contains("deny ap-1, reason:"))
	h.typeKeys("no network for coders")
	h.press(tcell.KeyEnter)
	c := h.control()
	if c.Action != messaging.ActionDeny || c.ApprovalID != "ap-1" || c.Text != "no network for coders" {
		t.Fatalf("n sent %+v, want deny with the reason", c)
	}
}

func TestTreeKeysSendControls(t *testing.T) {
	h := startDashboard(t, teamScript())
	h.press(tcell.KeyDown) // /root/coder_a
	coderA := messaging.MustParseAddress("/root/coder_a")
	tester := messaging.MustParseAddress("/root/tester")
	steps := []struct {
		name string
		do   func()
		want messaging.Control
	}{
		{"p pauses the selected agent", func() { h.typeKeys("p") }, messaging.Control{Action: messaging.ActionPause, Target: coderA}},
		{"i interrupts it", func() { h.typeKeys("i") }, messaging.Control{Action: messaging.ActionInterrupt, Target: coderA}},
		{"s sends it a message", func() {
			h.typeKeys("s")
			h.waitFrame(contains("message to /root/coder_a:"))
			h.typeKeys("use int64")
			h.press(tcell.KeyEnter)
		}, messaging.Control{Action: messaging.ActionMessage, Target: coderA, Text: "use int64"}},
		{"P pauses the run", func() { h.typeKeys("P") }, messaging.Control{Action: messaging.ActionPause, Target: messaging.Root}},
		{"p on a paused agent resumes it", func() { h.press(tcell.KeyDown, tcell.KeyDown, tcell.KeyDown); h.typeKeys("p") }, messaging.Control{Action: messaging.ActionResume, Target: tester}},
		{"C asks, y cancels", func() {
			f := h.typeKeys("C")
			if !strings.Contains(f.text, "Cancel the run?") {
				t.Errorf("C did not ask:\n%s", f.text)
			}
			h.typeKeys("y")
		}, messaging.Control{Action: messaging.ActionCancel}},
		{"command bar", func() {
			h.typeKeys(":")
			h.typeKeys("msg /root/coder_b please rebase")
			h.press(tcell.KeyEnter)
		}, messaging.Control{Action: messaging.ActionMessage, Target: messaging.MustParseAddress("/root/coder_b"), Text: "please rebase"}},
	}
	for _, st := range steps {
		st.do()
		got := h.control()
		st.want.By = "dashboard"
		if got != st.want {
			t.Errorf("%s: sent %+v, want %+v", st.name, got, st.want)
		}
	}
	// C then anything but y sends nothing.
	h.typeKeys("C")
	h.typeKeys("x")
	h.noControl()
}

func TestFilter(t *testing.T) {
	h := startDashboard(t, teamScript())
	h.typeKeys("/")
	h.typeKeys("coder")
	f := h.press(tcell.KeyEnter)
	if !strings.Contains(f.text, "coder_a") || !strings.Contains(f.text, "coder_b") || strings.Contains(f.text, "reviewer") {
		t.Fatalf("filter coder shows:\n%s", f.text)
	}
	f = h.typeKeys("m")
	for _, line := range strings.Split(f.text, "\n") {
		if strings.Contains(line, "→") && strings.Contains(line, ":") && !strings.Contains(line, "coder") && strings.Contains(line, "/root") {
			t.Errorf("flow line without coder under filter: %q", line)
		}
	}
	f = h.press(tcell.KeyEscape, tcell.KeyEscape) // back to tree, then clear filter
	if !strings.Contains(f.text, "reviewer") {
		t.Fatalf("Esc did not clear the filter:\n%s", f.text)
	}
}

func TestQuitLeavesRunAlone(t *testing.T) {
	h := startDashboard(t, teamScript())
	h.drv.key(tcell.KeyRune, 'q', tcell.ModNone) // no frame to wait for: q stops drawing
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		h.done <- nil // for the cleanup
	case <-time.After(waitLimit):
		t.Fatal("q did not close the dashboard")
	}
	h.noControl()
}

func TestCtrlCQuits(t *testing.T) {
	h := startDashboard(t, nil)
	h.waitFrame(func(frame) bool { return true })
	h.drv.key(tcell.KeyCtrlC, 0, tcell.ModCtrl)
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		h.done <- nil
	case <-time.After(waitLimit):
		t.Fatal("Ctrl-C did not close the dashboard")
	}
	h.noControl()
}

func TestPick(t *testing.T) {
	drv, err := newSimDriver(120, 10)
	if err != nil {
		t.Fatal(err)
	}
	src := newFakeSource()
	src.runs = []messaging.RunSummary{
		{ID: "r-20261122-old1", Status: "succeeded", Task: "old", Started: t0.Add(-time.Hour), Updated: t0.Add(-time.Hour)},
		{ID: "r-20261123-ab12", Status: "running", Task: "new", Active: true, Started: t0, Updated: t0},
	}
	type result struct {
		run string
		err error
	}
	done := make(chan result, 1)
	go func() {
		run, err := Pick(t.Context(), src, Options{Screen: drv.screen, hooks: drv.hooks(func() time.Time { return t0.Add(time.Minute) })})
		done <- result{run, err}
	}()
	f, err := drv.wait(waitLimit, contains("r-20261122-old1"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Index(f.text, "ab12") > strings.Index(f.text, "old1") {
		t.Errorf("active run not listed first:\n%s", f.text)
	}
	drv.key(tcell.KeyDown, 0, 0)
	drv.key(tcell.KeyEnter, 0, 0)
	select {
	case r := <-done:
		if r.err != nil || r.run != "r-20261122-old1" {
			t.Fatalf("Pick = %q, %v; want r-20261122-old1", r.run, r.err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Enter did not pick")
	}
}

func lineWith(text, sub string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func TestFlowFollowsUntilUserScrolls(t *testing.T) {
	s := teamScript()
	for i := range 60 {
		s.send("/root/coder_a", "/root", messaging.Ask{Question: fmt.Sprintf("question %02d", i)})
	}
	h := startDashboard(t, s)
	f := h.typeKeys("m")
	if !strings.Contains(f.text, "question 59") || strings.Contains(f.text, "question 00") {
		t.Fatalf("flow does not show its newest line:\n%s", f.text)
	}
	h.press(tcell.KeyHome)
	s.send("/root/coder_a", "/root", messaging.Ask{Question: "question 60"})
	f = h.feed(s.events[len(s.events)-1])
	if strings.Contains(f.text, "question 60") || !strings.Contains(f.text, "Implement Sum") {
		t.Fatalf("flow jumped to the end while the user reads back:\n%s", f.text)
	}
	f = h.press(tcell.KeyEnd)
	if !strings.Contains(f.text, "question 60") {
		t.Fatalf("End does not show the newest line:\n%s", f.text)
	}
}

func TestControlErrorIsShown(t *testing.T) {
	h := startDashboard(t, teamScript())
	h.src.failWith = errors.New("cadre api: 409: agent is finished")
	h.press(tcell.KeyDown)
	h.typeKeys("i")
	h.control()
	h.waitFrame(contains("interrupt /root/coder_a: cadre api: 409: agent is finished"))
}
