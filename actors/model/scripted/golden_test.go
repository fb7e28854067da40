package scripted_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model/scripted"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var fixedClock = func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }

const goldenScript = `{
  "agents": {
    "/root": [
      {"tool_calls":[{"name":"spawn_agent","arguments":{"role":"coder","name":"coder_a","task":"fix add.go"}},
                     {"name":"read_file","raw_arguments":"{\"path\": "}]},
      {"text":"All done — merged."}
    ],
    "role:tester": [
      {"text":"rate limited first","fault":{"kind":"http_429","retry_after_s":3}},
      {"tool_calls":[{"name":"shell","arguments":{"command":["go","test","./..."]}}],"fault":{"kind":"cut"}}
    ]
  }
}`

const (
	chatTurn0   = `{"model":"m1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"You lead."},{"role":"user","content":"Fix add.go"}]}`
	chatTurn1   = `{"model":"m1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"You lead."},{"role":"user","content":"Fix add.go"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"spawn_agent","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"spawned"}]}`
	respTurn0   = `{"model":"m1","stream":true,"instructions":"You lead.","input":[{"role":"user","content":"Fix add.go"}]}`
	respTurn1   = `{"model":"m1","stream":true,"instructions":"You lead.","input":[{"role":"user","content":"Fix add.go"},{"type":"function_call","call_id":"c1","name":"spawn_agent","arguments":"{}"},{"type":"function_call","call_id":"c2","name":"read_file","arguments":"{"},{"type":"function_call_output","call_id":"c1","output":"spawned"},{"type":"function_call_output","call_id":"c2","output":"bad args"}]}`
	chatTooLate = `{"model":"m1","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"a"},{"role":"user","content":"y"},{"role":"assistant","content":"b"}]}`
)

func TestGoldenWire(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
	}{
		{"chat_stream_tool_calls", "POST", "/v1/chat/completions", chatTurn0, map[string]string{"X-Cadre-Agent": "/root"}},
		{"chat_stream_text", "POST", "/v1/chat/completions", chatTurn1, map[string]string{"X-Cadre-Agent": "/root"}},
		{"chat_nonstream_tool_calls", "POST", "/v1/chat/completions", strings.Replace(chatTurn0, `"stream":true`, `"stream":false`, 1), map[string]string{"X-Cadre-Agent": "/root"}},
		{"chat_nonstream_text", "POST", "/v1/chat/completions", strings.Replace(chatTurn1, `"stream":true`, `"stream":false`, 1), map[string]string{"X-Cadre-Agent": "/root"}},
		{"responses_stream_tool_calls", "POST", "/v1/responses", respTurn0, map[string]string{"X-Cadre-Agent": "/root"}},
		{"responses_stream_text", "POST", "/v1/responses", respTurn1, map[string]string{"X-Cadre-Agent": "/root"}},
		{"responses_nonstream_tool_calls", "POST", "/v1/responses", strings.Replace(respTurn0, `"stream":true`, `"stream":false`, 1), map[string]string{"X-Cadre-Agent": "/root"}},
		{"responses_nonstream_text", "POST", "/v1/responses", strings.Replace(respTurn1, `"stream":true`, `"stream":false`, 1), map[string]string{"X-Cadre-Agent": "/root"}},
		{"models", "GET", "/v1/models", "", nil},
		{"error_no_turn", "POST", "/v1/chat/completions", chatTooLate, map[string]string{"X-Cadre-Agent": "/root"}},
		{"error_unknown_agent", "POST", "/v1/chat/completions", chatTurn0, map[string]string{"X-Cadre-Agent": "/root/nobody"}},
		{"fault_http_429", "POST", "/v1/chat/completions", chatTurn0, map[string]string{"X-Cadre-Agent": "/root/tester_a", "X-Cadre-Role": "tester"}},
		{"fault_cut_chat_stream", "POST", "/v1/chat/completions", chatTurn1, map[string]string{"X-Cadre-Role": "tester"}},
		{"fault_cut_responses_stream", "POST", "/v1/responses", respTurn1, map[string]string{"X-Cadre-Role": "tester"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := scripted.ParseScript([]byte(goldenScript))
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(scripted.NewServer(s, scripted.WithClock(fixedClock)))
			defer ts.Close()
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			fmt.Fprintf(&out, "status: %d\ncontent-type: %s\n", res.StatusCode, res.Header.Get("Content-Type"))
			if ra := res.Header.Get("Retry-After"); ra != "" {
				fmt.Fprintf(&out, "retry-after: %s\n", ra)
			}
			out.WriteString("\n")
			out.Write(got)
			checkGolden(t, tt.name, out.Bytes())
		})
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
