package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/examples/demo"
	"github.com/cadre-dev/cadre/messaging"
)

// Forking the demo run from the point where both coders had reported
// replays the rest of the work in a new run, with the same result, and
// leaves the original run as it was.
func TestForkFromAPastPoint(t *testing.T) {
	repo := sampleRepo(t)
	state := t.TempDir()
	_, url := startScripted(t, demo.Script(), nil)
	out, stderr, code := runCadre(t, state, "exec", "--repo", repo, "--base-url", url, "--model", "m", demo.Task)
	if code != 0 {
		t.Fatalf("first run: %d\n%s", code, stderr)
	}
	var run string
	var at uint64
	reports := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev messaging.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		run = ev.Run
		if ev.Type == messaging.EvMessageDelivered && ev.Agent == messaging.Root && at == 0 {
			var d messaging.MessageDelivered
			_ = ev.Decode(&d)
			if d.Envelope.Kind == messaging.KindReport {
				if reports++; reports == 2 {
					at = ev.Seq
				}
			}
		}
	}
	if at == 0 {
		t.Fatal("no point where both coders had reported")
	}
	original := strings.TrimSpace(git(t, repo, "rev-parse", "cadre/"+run+"/result"))

	fout, stderr, code := runCadre(t, state, "fork", "--json", "--base-url", url, "--model", "m", run, "--at", strconv.FormatUint(at, 10))
	if code != 0 {
		t.Fatalf("fork: %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(fout), "\n")
	var last messaging.Event
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Type != messaging.EvRunFinished || last.Run == run {
		t.Fatalf("fork's last event %+v %v", last, err)
	}
	var fin messaging.RunFinished
	_ = last.Decode(&fin)
	if fin.Status != messaging.StatusSucceeded {
		t.Fatalf("fork finished %+v", fin)
	}
	if got, want := git(t, repo, "rev-parse", fin.ResultBranch+"^{tree}"), git(t, repo, "rev-parse", "cadre/"+run+"/result^{tree}"); got != want {
		t.Errorf("fork's result tree %s, original's %s", got, want)
	}
	if now := strings.TrimSpace(git(t, repo, "rev-parse", "cadre/"+run+"/result")); now != original {
		t.Errorf("the original result branch moved: %s → %s", original, now)
	}
	ls, _, _ := runCadre(t, state, "ls")
	if strings.Count(ls, "succeeded") != 2 {
		t.Errorf("ls after fork:\n%s", ls)
	}
	git(t, repo, "fsck", "--strict", "--no-dangling")
}
