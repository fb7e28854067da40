package scripted_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/actors/model/scripted"
)

const exampleScript = `{
  "agents": {
    "/root":        [ {"tool_calls":[{"name":"spawn_agent","arguments":{"role":"coder","name":"coder_a","task":"fix add.go"}}]},
                      {"text":"All done."} ],
    "role:tester":  [ {"tool_calls":[{"name":"shell","arguments":{"command":["go","test","./..."]}}], "delay_ms": 50},
                      {"tool_calls":[{"name":"read_file","raw_arguments":"{\"path\": "}]},
                      {"fault":{"kind":"http_500","times":1}, "text":"after the fault this turn is served normally"} ]
  },
  "faults": {"rate": 0.3, "seed": 7, "kinds": ["http_500","http_429","cut"], "retry_after_s": 0}
}`

func TestParseScriptExample(t *testing.T) {
	s, err := scripted.ParseScript([]byte(exampleScript))
	if err != nil {
		t.Fatalf("ParseScript: %v", err)
	}
	if got := len(s.Agents["/root"]); got != 2 {
		t.Errorf("/root turns = %d, want 2", got)
	}
	tester := s.Agents["role:tester"]
	if got := tester[1].ToolCalls[0].ArgumentsText(); got != `{"path": ` {
		t.Errorf("raw arguments = %q", got)
	}
	if got := s.Agents["/root"][0].ToolCalls[0].ArgumentsText(); got != `{"role":"coder","name":"coder_a","task":"fix add.go"}` {
		t.Errorf("arguments = %q", got)
	}
	if tester[0].DelayMS != 50 || tester[2].Fault.Kind != scripted.FaultHTTP500 || tester[2].Fault.Times != 1 {
		t.Errorf("tester turns parsed wrong: %+v", tester)
	}
	if s.Faults == nil || s.Faults.Rate != 0.3 || s.Faults.Seed != 7 || len(s.Faults.Kinds) != 3 {
		t.Errorf("faults = %+v", s.Faults)
	}
}

func TestParseScriptErrors(t *testing.T) {
	tests := []struct {
		name, script string
		want         []string // substrings of the error
	}{
		{"not json", `{`, []string{"invalid script"}},
		{"unknown top field", `{"agents":{"/root":[{"text":"x"}]},"extra":1}`, []string{`unknown field "extra"`}},
		{"no agents", `{"agents":{}}`, []string{"no agents"}},
		{"bad key", `{"agents":{"root":[{"text":"x"}]}}`, []string{`agent "root"`, "key must be"}},
		{"bad role key", `{"agents":{"role:Tester":[{"text":"x"}]}}`, []string{`agent "role:Tester"`}},
		{"no turns", `{"agents":{"/root":[]}}`, []string{`agent "/root"`, "no turns"}},
		{"unknown turn field", `{"agents":{"/root":[{"text":"x"},{"txt":"y"}]}}`, []string{`agent "/root" turn 1`, `unknown field "txt"`}},
		{"empty turn", `{"agents":{"/root":[{"delay_ms":5}]}}`, []string{`agent "/root" turn 0`, `needs "text" or "tool_calls"`}},
		{"negative delay", `{"agents":{"/root":[{"text":"x","delay_ms":-1}]}}`, []string{"turn 0", "delay_ms -1"}},
		{"call without name", `{"agents":{"/root/a":[{"tool_calls":[{"arguments":{}}]}]}}`, []string{`agent "/root/a" turn 0`, "tool call 0: name is missing"}},
		{"arguments not object", `{"agents":{"/root":[{"tool_calls":[{"name":"x","arguments":[1]}]}]}}`, []string{"turn 0", "must be a JSON object"}},
		{"both arguments", `{"agents":{"/root":[{"tool_calls":[{"name":"x","arguments":{},"raw_arguments":"{"}]}]}}`, []string{"not both"}},
		{"unknown fault", `{"agents":{"/root":[{"text":"x","fault":{"kind":"boom"}}]}}`, []string{"turn 0", `unknown fault kind "boom"`}},
		{"unknown fault field", `{"agents":{"/root":[{"text":"x","fault":{"kind":"cut","count":2}}]}}`, []string{"turn 0", `unknown field "count"`}},
		{"rate out of range", `{"agents":{"/root":[{"text":"x"}]},"faults":{"rate":2}}`, []string{"faults", "rate 2"}},
		{"random fault kind", `{"agents":{"/root":[{"text":"x"}]},"faults":{"rate":0.1,"kinds":["nope"]}}`, []string{"faults", `"nope"`}},
		{"trailing data", `{"agents":{"/root":[{"text":"x"}]}} {}`, []string{"trailing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scripted.ParseScript([]byte(tt.script))
			if err == nil {
				t.Fatal("ParseScript succeeded, want an error")
			}
			if !errors.Is(err, scripted.ErrScript) {
				t.Errorf("error %v does not wrap ErrScript", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadScript(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(exampleScript), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := scripted.LoadScript(good); err != nil {
		t.Errorf("LoadScript(good): %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"agents":{"/root":[{}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := scripted.LoadScript(bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("LoadScript(bad) = %v, want an error naming the file", err)
	}
	if _, err := scripted.LoadScript(filepath.Join(dir, "missing.json")); !errors.Is(err, scripted.ErrScript) {
		t.Errorf("LoadScript(missing) = %v, want ErrScript", err)
	}
}
