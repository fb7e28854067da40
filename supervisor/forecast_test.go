package supervisor

import (
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/messaging"
)

// forecastTeam: two coders change the same line of a.txt; /root waits for
// their reports and the forecast.
var forecastTeam = scriptedTeam{
	"/root": {
		calls("spawn_agent", `{"role":"coder","name":"coder_a","task":"a"}`,
			"spawn_agent", `{"role":"coder","name":"coder_b","task":"b"}`),
		call("wait", `{"count":3}`),
		{Text: "forecast seen"},
	},
	"/root/coder_a": {call("apply_patch", patch("a.txt", "1", "2")), call("report", `{"status":"done","summary":"a"}`), call("wait", `{}`)},
	"/root/coder_b": {call("apply_patch", patch("a.txt", "1", "3")), call("report", `{"status":"done","summary":"b"}`), call("wait", `{}`)},
}

func TestConflictIsForecastAfterTheSnapshot(t *testing.T) {
	repo := repoWith(t, map[string]string{"a.txt": "1\n"})
	sup, r := startScripted(t, repo, forecastTeam, RunSpec{})
	if out := r.Wait(); out.Status != messaging.StatusSucceeded {
		t.Fatalf("outcome %+v", out)
	}
	var forecasts []messaging.ConflictForecast
	told := false
	_ = sup.Journal().Events(r.ID, 0, func(ev messaging.Event) error {
		switch ev.Type {
		case messaging.EvConflictForecast:
			var p messaging.ConflictForecast
			_ = ev.Decode(&p)
			forecasts = append(forecasts, p)
		case messaging.EvMessageDelivered:
			if ev.Agent.IsRoot() && strings.Contains(string(ev.Data), "cadre conflict forecast") && strings.Contains(string(ev.Data), "in a.txt") {
				told = true
			}
		}
		return nil
	})
	if len(forecasts) == 0 || forecasts[0].Paths[0] != "a.txt" || !strings.HasPrefix(forecasts[0].With, "/root/coder_") {
		t.Fatalf("forecasts %+v", forecasts)
	}
	if !told {
		t.Error("/root was not told of the coming conflict")
	}
	// Nobody asked for a merge: the forecast came before merge time.
	if n := strings.Count(gitRun(t, repo, "log", "--oneline", "cadre/"+r.ID+"/result"), "\n"); n != 1 {
		t.Errorf("the result branch has %d commits, want only the base", n)
	}
}
