package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

func TestNotifyRunsTheProgramWithTheEvent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "notified")
	var stderr bytes.Buffer
	n := newNotifier([]string{"sh", "-c", `printf '%s\n' "$1" >> "$0"`, out}, &stderr)
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	n.event(messaging.NewEvent("r-1", messaging.Root, 1, at, messaging.TurnStarted{Turn: 1})) // not notable
	n.event(messaging.NewEvent("r-1", messaging.Address{}, 0, at, messaging.RunFinished{Status: messaging.StatusSucceeded, Summary: "fixed"}))
	n.wait()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 1 {
		t.Fatalf("notify ran %d times: %q", len(lines), data)
	}
	var ev messaging.Event
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil || ev.Type != messaging.EvRunFinished || ev.Run != "r-1" {
		t.Fatalf("notify got %q (%v)", lines[0], err)
	}
	// A failing program is reported, not fatal.
	bad := newNotifier([]string{"sh", "-c", "echo no such luck; exit 3"}, &stderr)
	bad.event(messaging.NewEvent("r-1", messaging.Address{}, 0, at, messaging.RunSuspended{Reason: "x"}))
	bad.wait()
	if !strings.Contains(stderr.String(), "notify sh: exit status 3 no such luck") {
		t.Errorf("stderr %q", stderr.String())
	}
	if newNotifier(nil, &stderr) != nil {
		t.Error("no program configured should mean no notifier")
	}
}
