package model_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/actors/model/scripted"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var wires = []model.WireAPI{model.WireChat, model.WireResponses}

// scriptedHandler returns the scripted server for script as a handler.
func scriptedHandler(t testing.TB, script string) *scripted.Server {
	t.Helper()
	s, err := scripted.ParseScript([]byte(script))
	if err != nil {
		t.Fatal(err)
	}
	return scripted.NewServer(s)
}

// recorder wraps a handler and keeps every request's headers and body.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	path   string
	query  string
	header http.Header
	body   []byte
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recorded{path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: body})
	rec.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) all() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func mustNew(t testing.TB, cfg model.Config) model.Client {
	t.Helper()
	if cfg.Model == "" {
		cfg.Model = "test-model"
	}
	c, err := model.New(cfg)
	if err != nil {
		t.Fatalf("model.New: %v", err)
	}
	return c
}

var userX = []model.Item{{Role: model.RoleUser, Text: "x"}}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  model.Config
		want string
	}{
		{"missing model", model.Config{BaseURL: "http://127.0.0.1:1/v1"}, "model is missing"},
		{"missing base url", model.Config{Model: "m"}, "base_url is missing"},
		{"bad scheme", model.Config{Model: "m", BaseURL: "ftp://host/v1"}, "scheme must be http or https"},
		{"no host", model.Config{Model: "m", BaseURL: "http:///v1"}, "no host"},
		{"unparsable", model.Config{Model: "m", BaseURL: "http://[::1"}, "base_url"},
		{"credentials in url", model.Config{Model: "m", BaseURL: "https://user:sk-secret@host/v1"}, "must not carry credentials"},
		{"unknown wire", model.Config{Model: "m", BaseURL: "http://h/v1", WireAPI: "completions"}, `unknown wire_api "completions"`},
		{"negative attempts", model.Config{Model: "m", BaseURL: "http://h/v1", MaxAttempts: -1}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := model.New(tt.cfg)
			if !errors.Is(err, model.ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want ErrConfig mentioning %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "sk-secret") {
				t.Errorf("error leaks the credential: %v", err)
			}
		})
	}
	for _, w := range []model.WireAPI{"", model.WireChat, model.WireResponses} {
		if _, err := model.New(model.Config{Model: "m", BaseURL: "http://127.0.0.1:9/v1", WireAPI: w}); err != nil {
			t.Errorf("New(wire %q) = %v", w, err)
		}
	}
}

func TestAuthorizationHeader(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-environment")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/elsewhere")
	for _, wire := range wires {
		for _, key := range []string{"", "sk-test-123"} {
			t.Run(fmt.Sprintf("%s/key=%t", wire, key != ""), func(t *testing.T) {
				rec := &recorder{next: scriptedHandler(t, `{"agents":{"/root":[{"text":"ok"}]}}`)}
				ts := httptest.NewServer(rec)
				defer ts.Close()
				c := mustNew(t, model.Config{BaseURL: ts.URL + "/v1", WireAPI: wire, APIKey: key,
					Headers: map[string]string{"X-Extra": "yes"}, QueryParams: map[string]string{"api-version": "2026-01-01"}})
				if _, err := c.Turn(context.Background(), model.Request{Agent: "/root", Role: "lead", Input: userX}); err != nil {
					t.Fatal(err)
				}
				reqs := rec.all()
				if len(reqs) != 1 {
					t.Fatalf("%d requests", len(reqs))
				}
				h := reqs[0].header
				if key == "" {
					if v, ok := h["Authorization"]; ok {
						t.Errorf("Authorization sent without a key: %q", v)
					}
				} else if got := h.Get("Authorization"); got != "Bearer "+key {
					t.Errorf("Authorization = %q, want Bearer %s", got, key)
				}
				if h.Get("X-Cadre-Agent") != "/root" || h.Get("X-Cadre-Role") != "lead" || h.Get("X-Extra") != "yes" {
					t.Errorf("headers = %v", h)
				}
				wantPath := map[model.WireAPI]string{model.WireChat: "/v1/chat/completions", model.WireResponses: "/v1/responses"}[wire]
				if reqs[0].path != wantPath || reqs[0].query != "api-version=2026-01-01" {
					t.Errorf("request went to %s?%s", reqs[0].path, reqs[0].query)
				}
			})
		}
	}
}

func TestKeyNeverInErrors(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}`, http.StatusUnauthorized)
	}))
	defer ts.Close()
	var retries atomic.Int32
	c := mustNew(t, model.Config{BaseURL: ts.URL, APIKey: "sk-very-secret", OnRetry: func(int, error, time.Duration) { retries.Add(1) }})
	turn, err := c.Turn(context.Background(), model.Request{Input: userX})
	var perr *model.ProviderError
	if !errors.As(err, &perr) || perr.Status != 401 || perr.Message != "Incorrect API key provided" {
		t.Fatalf("err = %v, want the provider's 401", err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, perr), "sk-very-secret") {
		t.Errorf("the key leaks into the error: %v", err)
	}
	if turn.Attempts != 1 || retries.Load() != 0 {
		t.Errorf("401 was retried: attempts %d", turn.Attempts)
	}
}

func TestNotRetried(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var calls atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				fmt.Fprintf(w, `{"error":{"message":"nope %d","type":"invalid_request_error"}}`, status)
			}))
			defer ts.Close()
			for _, wire := range wires {
				calls.Store(0)
				sl := &sleeps{}
				_, err := mustNew(t, model.Config{BaseURL: ts.URL, WireAPI: wire, Sleep: sl.sleep}).Turn(context.Background(), model.Request{Input: userX})
				var perr *model.ProviderError
				if !errors.As(err, &perr) || perr.Status != status || perr.Message != fmt.Sprintf("nope %d", status) {
					t.Errorf("%s: err = %v", wire, err)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("%d: nope", status)) {
					t.Errorf("%s: Error() = %q, want status and message", wire, err)
				}
				if calls.Load() != 1 || len(sl.all()) != 0 {
					t.Errorf("%s: %d calls, %d sleeps; want 1 and 0", wire, calls.Load(), len(sl.all()))
				}
			}
		})
	}
}

func TestAlwaysFailingProvider(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(t *testing.T, err error)
	}{
		{"503 json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(503)
			io.WriteString(w, `{"error":{"message":"The engine is currently overloaded","type":"server_error"}}`)
		}, func(t *testing.T, err error) {
			var perr *model.ProviderError
			if !errors.As(err, &perr) || perr.Status != 503 || perr.Message != "The engine is currently overloaded" {
				t.Errorf("err = %v", err)
			}
		}},
		{"502 plain text", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream connect error", http.StatusBadGateway)
		}, func(t *testing.T, err error) {
			var perr *model.ProviderError
			if !errors.As(err, &perr) || perr.Status != 502 || perr.Message != "upstream connect error" {
				t.Errorf("err = %v", err)
			}
		}},
		{"connection dropped", func(w http.ResponseWriter, r *http.Request) {
			panic(http.ErrAbortHandler)
		}, func(t *testing.T, err error) {
			var perr *model.ProviderError
			if errors.As(err, &perr) {
				t.Errorf("err = %v, want a transport error", err)
			}
		}},
	}
	for _, tt := range tests {
		for _, wire := range wires {
			t.Run(tt.name+"/"+string(wire), func(t *testing.T) {
				ts := httptest.NewServer(tt.handler)
				defer ts.Close()
				sl := &sleeps{}
				var attempts []int
				c := mustNew(t, model.Config{BaseURL: ts.URL, WireAPI: wire, MaxAttempts: 3, Sleep: sl.sleep,
					InitialBackoff: time.Second, MaxBackoff: 4 * time.Second,
					OnRetry: func(n int, _ error, _ time.Duration) { attempts = append(attempts, n) }})
				turn, err := c.Turn(context.Background(), model.Request{Input: userX})
				if err == nil || !strings.Contains(err.Error(), "after 3 attempts") {
					t.Fatalf("err = %v, want failure after 3 attempts", err)
				}
				tt.check(t, err)
				if turn.Attempts != 3 || fmt.Sprint(attempts) != "[1 2]" {
					t.Errorf("Attempts = %d, OnRetry attempts = %v", turn.Attempts, attempts)
				}
				waits := sl.all()
				if len(waits) != 2 || waits[0] > time.Second || waits[1] > 2*time.Second {
					t.Errorf("waits = %v, want full jitter under 1s then 2s", waits)
				}
			})
		}
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	var calls atomic.Int32
	when := time.Now().Add(90 * time.Second).UTC()
	inner := scriptedHandler(t, `{"agents":{"/root":[{"text":"ok"}]}}`)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", when.Format(http.TimeFormat))
			http.Error(w, `{"error":{"message":"slow down"}}`, http.StatusServiceUnavailable)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	defer ts.Close()
	sl := &sleeps{}
	turn, err := mustNew(t, model.Config{BaseURL: ts.URL, Sleep: sl.sleep}).Turn(context.Background(), model.Request{Agent: "/root", Input: userX})
	if err != nil || turn.Attempts != 2 {
		t.Fatalf("turn = %+v, %v", turn, err)
	}
	if w := sl.all(); len(w) != 1 || w[0] < 80*time.Second || w[0] > 91*time.Second {
		t.Errorf("waits = %v, want about 90s from the HTTP date", w)
	}
}

// stallingHandler sends the response head and one byte of body on the first
// request, then nothing until the client goes away; later requests are
// served by next.
func stallingHandler(next http.Handler, stalls int32) (http.Handler, *atomic.Int32) {
	var calls atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > stalls {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		io.WriteString(w, ": keep-alive\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}), &calls
}

func TestStallTimeout(t *testing.T) {
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			h, calls := stallingHandler(scriptedHandler(t, `{"agents":{"/root":[{"tool_calls":[{"name":"shell","arguments":{"command":["ls"]}}]}]}}`), 1)
			ts := httptest.NewServer(h)
			defer ts.Close()
			var retryErr error
			c := mustNew(t, model.Config{BaseURL: ts.URL, WireAPI: wire, StallTimeout: 250 * time.Millisecond,
				Sleep: (&sleeps{}).sleep, OnRetry: func(_ int, err error, _ time.Duration) { retryErr = err }})
			turn, err := c.Turn(context.Background(), model.Request{Agent: "/root", Input: userX})
			if err != nil {
				t.Fatalf("Turn: %v", err)
			}
			if !errors.Is(retryErr, model.ErrStall) {
				t.Errorf("retry error = %v, want ErrStall", retryErr)
			}
			if turn.Attempts != 2 || calls.Load() != 2 || len(turn.ToolCalls) != 1 {
				t.Errorf("turn = %+v after %d calls", turn, calls.Load())
			}
		})
	}
	t.Run("gives up", func(t *testing.T) {
		h, _ := stallingHandler(nil, 1000)
		ts := httptest.NewServer(h)
		defer ts.Close()
		_, err := mustNew(t, model.Config{BaseURL: ts.URL, StallTimeout: 50 * time.Millisecond, MaxAttempts: 2, Sleep: (&sleeps{}).sleep}).
			Turn(context.Background(), model.Request{Input: userX})
		if !errors.Is(err, model.ErrStall) || !strings.Contains(err.Error(), "after 2 attempts") {
			t.Errorf("err = %v, want ErrStall after 2 attempts", err)
		}
	})
}

func TestAlwaysCutNeverReturnsHalfCall(t *testing.T) {
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			srv := scriptedHandler(t, `{"agents":{"/root":[{"tool_calls":[{"name":"shell","arguments":{"command":["go","test","./..."]}}],"fault":{"kind":"cut","times":10}}]}}`)
			ts := httptest.NewServer(srv)
			defer ts.Close()
			turn, err := mustNew(t, model.Config{BaseURL: ts.URL + "/v1", WireAPI: wire, MaxAttempts: 3, Sleep: (&sleeps{}).sleep}).
				Turn(context.Background(), model.Request{Agent: "/root", Input: userX})
			if !errors.Is(err, model.ErrStreamCut) || !strings.Contains(err.Error(), "after 3 attempts") {
				t.Errorf("err = %v, want ErrStreamCut after 3 attempts", err)
			}
			if len(turn.ToolCalls) != 0 || turn.Text != "" {
				t.Errorf("a cut turn returned content: %+v", turn)
			}
			if log := srv.Log(); len(log) != 3 || log[2].Fault != scripted.FaultCut {
				t.Errorf("log = %+v", log)
			}
		})
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := mustNew(t, model.Config{BaseURL: ts.URL, OnRetry: func(int, error, time.Duration) { cancel() }})
	turn, err := c.Turn(ctx, model.Request{Input: userX})
	if !errors.Is(err, context.Canceled) || turn.Attempts != 1 {
		t.Errorf("Turn = %+v, %v; want context.Canceled after 1 attempt", turn, err)
	}
}

func TestInvalidRequest(t *testing.T) {
	c := mustNew(t, model.Config{BaseURL: "http://127.0.0.1:9"})
	tests := []model.Request{
		{Input: []model.Item{{Role: "system", Text: "x"}}},
		{Input: []model.Item{{Role: model.RoleTool, Text: "out"}}},
		{Input: userX, Tools: []model.Tool{{Name: "t", Parameters: json.RawMessage(`[1,`)}}},
		{Input: userX, Tools: []model.Tool{{Parameters: json.RawMessage(`{}`)}}},
	}
	for i, req := range tests {
		if _, err := c.Turn(context.Background(), req); !errors.Is(err, model.ErrRequest) {
			t.Errorf("request %d: err = %v, want ErrRequest", i, err)
		}
	}
}

// TestGoldenRequestBodies pins what the client sends on both wires for a
// conversation with text, tool calls, tool outputs and tools.
func TestGoldenRequestBodies(t *testing.T) {
	req := model.Request{
		Agent: "/root/coder_a", Role: "coder", Instructions: "You are a coder.\naddress: /root/coder_a",
		Input: []model.Item{
			{Role: model.RoleUser, Text: "Fix add.go"},
			{Role: model.RoleAssistant, Text: "Looking.", ToolCalls: []model.ToolCall{{ID: "call_1", Name: "read_file", Arguments: `{"path":"add.go"}`}, {ID: "call_2", Name: "shell", Arguments: `{"command": [`}}},
			{Role: model.RoleTool, CallID: "call_1", Text: "package add"},
			{Role: model.RoleTool, CallID: "call_2", Text: "error: invalid arguments"},
		},
		Tools: []model.Tool{
			{Name: "read_file", Description: "Read a file.", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)},
			{Name: "done"},
		},
		MaxOutputTokens: 4096,
	}
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			rec := &recorder{next: scriptedHandler(t, `{"agents":{"/root/coder_a":[{"text":"a"},{"text":"b"}]}}`)}
			ts := httptest.NewServer(rec)
			defer ts.Close()
			turn, err := mustNew(t, model.Config{BaseURL: ts.URL + "/v1", WireAPI: wire}).Turn(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if turn.Text != "b" {
				t.Errorf("text = %q, want turn 1 (one assistant turn in the input)", turn.Text)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, rec.all()[0].body, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			checkGolden(t, "request_"+string(wire)+".json", pretty.Bytes())
		})
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
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
		t.Errorf("%s differs (run go test -update after checking):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func benchmarkTurn(b *testing.B, wire model.WireAPI) {
	s, err := scripted.ParseScript([]byte(`{"agents":{"/root":[{"tool_calls":[{"name":"apply_patch","arguments":{"patch":"*** Begin Patch\n*** Update File: add.go\n@@\n-return a - b\n+return a + b\n*** End Patch"}}]}]}}`))
	if err != nil {
		b.Fatal(err)
	}
	srv := scripted.NewServer(s)
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c := mustNew(b, model.Config{BaseURL: base, WireAPI: wire})
	req := model.Request{Agent: "/root", Instructions: "You are the lead.", Input: []model.Item{{Role: model.RoleUser, Text: "Fix add.go"}},
		Tools: []model.Tool{{Name: "apply_patch", Parameters: json.RawMessage(`{"type":"object","properties":{"patch":{"type":"string"}}}`)}}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		turn, err := c.Turn(ctx, req)
		if err != nil || len(turn.ToolCalls) != 1 {
			b.Fatalf("turn = %+v, %v", turn, err)
		}
	}
}

func BenchmarkTurnChatStream(b *testing.B)      { benchmarkTurn(b, model.WireChat) }
func BenchmarkTurnResponsesStream(b *testing.B) { benchmarkTurn(b, model.WireResponses) }

func TestErrorEventInStreamIsRetried(t *testing.T) {
	events := map[model.WireAPI]string{
		model.WireChat:      "data: {\"error\":{\"message\":\"upstream model crashed\",\"type\":\"server_error\"}}\n\n",
		model.WireResponses: "event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":1,\"response\":{\"id\":\"r\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"upstream model crashed\"},\"output\":[]}}\n\n",
	}
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			inner := scriptedHandler(t, `{"agents":{"/root":[{"text":"recovered"}]}}`)
			var calls atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Content-Type", "text/event-stream")
					io.WriteString(w, events[wire])
					return
				}
				inner.ServeHTTP(w, r)
			}))
			defer ts.Close()
			var retryErr error
			turn, err := mustNew(t, model.Config{BaseURL: ts.URL, WireAPI: wire, Sleep: (&sleeps{}).sleep,
				OnRetry: func(_ int, err error, _ time.Duration) { retryErr = err }}).
				Turn(context.Background(), model.Request{Agent: "/root", Input: userX})
			if err != nil || turn.Text != "recovered" || turn.Attempts != 2 {
				t.Fatalf("turn = %+v, %v", turn, err)
			}
			var perr *model.ProviderError
			if !errors.As(retryErr, &perr) || perr.Status != 0 || perr.Message != "upstream model crashed" {
				t.Errorf("retry error = %v, want the in-stream provider error", retryErr)
			}
		})
	}
}
