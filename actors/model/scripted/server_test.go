package scripted_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/actors/model/scripted"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

var wires = []model.WireAPI{model.WireChat, model.WireResponses}

func startServer(t testing.TB, script string, opts ...scripted.Option) (*scripted.Server, string) {
	t.Helper()
	s, err := scripted.ParseScript([]byte(script))
	if err != nil {
		t.Fatalf("ParseScript: %v", err)
	}
	srv := scripted.NewServer(s, opts...)
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv, base
}

// sleeps records the waits the client asked for instead of sleeping.
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

func newClient(t testing.TB, base string, wire model.WireAPI, sl *sleeps) model.Client {
	t.Helper()
	if sl == nil {
		sl = &sleeps{}
	}
	c, err := model.New(model.Config{BaseURL: base, Model: "test-model", WireAPI: wire, Sleep: sl.sleep, MaxAttempts: 4})
	if err != nil {
		t.Fatalf("model.New: %v", err)
	}
	return c
}

func TestClientPlaysConversation(t *testing.T) {
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			srv, base := startServer(t, exampleScript[:strings.Index(exampleScript, `,
  "faults"`)]+"}")
			c := newClient(t, base, wire, nil)
			req := model.Request{Agent: "/root", Role: "lead", Instructions: "You lead the team.",
				Input: []model.Item{{Role: model.RoleUser, Text: "Fix add.go"}}}
			turn, err := c.Turn(context.Background(), req)
			if err != nil {
				t.Fatalf("turn 0: %v", err)
			}
			if len(turn.ToolCalls) != 1 || turn.ToolCalls[0].Name != "spawn_agent" ||
				turn.ToolCalls[0].Arguments != `{"role":"coder","name":"coder_a","task":"fix add.go"}` || turn.ToolCalls[0].ID == "" {
				t.Fatalf("turn 0 tool calls = %+v", turn.ToolCalls)
			}
			if turn.Attempts != 1 || turn.Model != "test-model" || turn.Usage.InputTokens == 0 || turn.Usage.OutputTokens == 0 || turn.Usage.CachedInputTokens != 0 {
				t.Errorf("turn 0 = %+v", turn)
			}
			req.Input = append(req.Input,
				model.Item{Role: model.RoleAssistant, ToolCalls: turn.ToolCalls},
				model.Item{Role: model.RoleTool, CallID: turn.ToolCalls[0].ID, Text: "spawned /root/coder_a"})
			turn, err = c.Turn(context.Background(), req)
			if err != nil {
				t.Fatalf("turn 1: %v", err)
			}
			if turn.Text != "All done." || len(turn.ToolCalls) != 0 {
				t.Errorf("turn 1 = %+v", turn)
			}
			if turn.Usage.CachedInputTokens <= 0 || turn.Usage.CachedInputTokens >= turn.Usage.InputTokens {
				t.Errorf("turn 1 usage = %+v, want 0 < cached < input", turn.Usage)
			}
			log := srv.Log()
			if len(log) != 2 || log[0].Turn != 0 || log[1].Turn != 1 || log[1].Agent != "/root" || log[1].Wire != string(wire) || !log[1].Stream {
				t.Errorf("log = %+v", log)
			}
		})
	}
}

// TestSDKNonStreaming checks that openai-go parses the non-stream bodies.
func TestSDKNonStreaming(t *testing.T) {
	_, base := startServer(t, goldenScript)
	opts := []option.RequestOption{option.WithBaseURL(base), option.WithMaxRetries(0), option.WithHeader("X-Cadre-Agent", "/root")}
	ctx := context.Background()

	chat := openai.NewChatCompletionService(opts...)
	cc, err := chat.New(ctx, openai.ChatCompletionNewParams{Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	calls := cc.Choices[0].Message.ToolCalls
	if len(calls) != 2 || calls[1].Function.Name != "read_file" || calls[1].Function.Arguments != `{"path": ` || cc.Choices[0].FinishReason != "tool_calls" || cc.Usage.PromptTokens == 0 {
		t.Errorf("chat completion = %+v", cc)
	}

	rs := responses.NewResponseService(opts...)
	r, err := rs.New(ctx, responses.ResponseNewParams{Model: "m", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
	if err != nil {
		t.Fatalf("responses: %v", err)
	}
	if len(r.Output) != 2 || r.Output[0].AsFunctionCall().Name != "spawn_agent" || r.Output[1].AsFunctionCall().Arguments != `{"path": ` || r.Usage.InputTokens == 0 {
		t.Errorf("response = %+v", r.Output)
	}

	ms := openai.NewModelService(opts...)
	models, err := ms.List(ctx)
	if err != nil {
		t.Fatalf("models: %v", err)
	}
	if len(models.Data) != 1 || models.Data[0].ID != scripted.ModelID {
		t.Errorf("models = %+v", models.Data)
	}
}

func TestFaultThenSuccess(t *testing.T) {
	for _, kind := range []string{"http_500", "cut"} {
		for _, wire := range wires {
			t.Run(kind+"/"+string(wire), func(t *testing.T) {
				srv, base := startServer(t, `{"agents":{"/root":[{"tool_calls":[{"name":"shell","arguments":{"command":["go","test","./..."]}}],"fault":{"kind":"`+kind+`","times":1}}]}}`)
				var retried []error
				sl := &sleeps{}
				c, err := model.New(model.Config{BaseURL: base, Model: "m", WireAPI: wire, Sleep: sl.sleep,
					OnRetry: func(_ int, err error, _ time.Duration) { retried = append(retried, err) }})
				if err != nil {
					t.Fatal(err)
				}
				turn, err := c.Turn(context.Background(), model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: "go"}}})
				if err != nil {
					t.Fatalf("Turn: %v", err)
				}
				if turn.Attempts != 2 {
					t.Errorf("Attempts = %d, want 2", turn.Attempts)
				}
				if len(turn.ToolCalls) != 1 || turn.ToolCalls[0].Arguments != `{"command":["go","test","./..."]}` {
					t.Errorf("tool calls = %+v (a half call must never come back)", turn.ToolCalls)
				}
				if len(retried) != 1 {
					t.Fatalf("OnRetry calls = %d, want 1", len(retried))
				}
				var perr *model.ProviderError
				switch kind {
				case "http_500":
					if !errors.As(retried[0], &perr) || perr.Status != 500 || !strings.Contains(perr.Message, "injected http_500") {
						t.Errorf("retry error = %v, want the provider's 500", retried[0])
					}
				case "cut":
					if !errors.Is(retried[0], model.ErrStreamCut) {
						t.Errorf("retry error = %v, want ErrStreamCut", retried[0])
					}
				}
				log := srv.Log()
				if len(log) != 2 || log[0].Fault != kind || log[1].Fault != "" || log[0].Turn != log[1].Turn {
					t.Errorf("log = %+v", log)
				}
			})
		}
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	_, base := startServer(t, `{"agents":{"/root":[{"text":"ok","fault":{"kind":"http_429","times":2,"retry_after_s":7}}]}}`)
	sl := &sleeps{}
	c := newClient(t, base, model.WireChat, sl)
	turn, err := c.Turn(context.Background(), model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: "x"}}})
	if err != nil {
		t.Fatalf("Turn: %v", err)
	}
	if turn.Attempts != 3 || turn.Text != "ok" {
		t.Errorf("turn = %+v", turn)
	}
	got := sl.all()
	if len(got) != 2 || got[0] != 7*time.Second || got[1] != 7*time.Second {
		t.Errorf("sleeps = %v, want [7s 7s]", got)
	}
}

func TestNonStreamCutAbortsBody(t *testing.T) {
	_, base := startServer(t, `{"agents":{"/root":[{"text":"hello there, a long enough answer","fault":{"kind":"cut"}}]}}`)
	req, _ := http.NewRequest("POST", base+"/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"x"}]}`))
	req.Header.Set("X-Cadre-Agent", "/root")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := io.ReadAll(res.Body); err == nil {
		t.Error("reading a cut body succeeded, want an unexpected EOF")
	}
}

func TestFinishReasonStopWithToolCalls(t *testing.T) {
	_, base := startServer(t, `{"finish_reason_stop":true,"agents":{"/root":[{"tool_calls":[{"name":"a","arguments":{"x":1}},{"name":"b","arguments":{}}]}]}}`)
	turn, err := newClient(t, base, model.WireChat, nil).Turn(context.Background(), model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(turn.ToolCalls) != 2 || turn.ToolCalls[0].Name != "a" || turn.ToolCalls[1].Arguments != "{}" {
		t.Errorf("tool calls = %+v", turn.ToolCalls)
	}
}

func TestMalformedArgumentsVerbatim(t *testing.T) {
	raw := `{"path": "a.go", "line": }` + "\u00e9"
	script := `{"agents":{"/root":[{"tool_calls":[{"name":"read_file","raw_arguments":` + jsonString(raw) + `}]}]}}`
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			_, base := startServer(t, script)
			turn, err := newClient(t, base, wire, nil).Turn(context.Background(), model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: "x"}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(turn.ToolCalls) != 1 || turn.ToolCalls[0].Arguments != raw {
				t.Errorf("tool calls = %+v, want arguments %q", turn.ToolCalls, raw)
			}
		})
	}
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestTurnIndexFromRequest(t *testing.T) {
	script := `{"agents":{"/root":[{"text":"t0"},{"text":"t1"},{"text":"t2"},{"text":"t3"}]}}`
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			srv, base := startServer(t, script)
			c := newClient(t, base, wire, nil)
			// Two assistant turns: one with text and two calls, one with text.
			input := []model.Item{
				{Role: model.RoleUser, Text: "u"},
				{Role: model.RoleAssistant, Text: "thinking", ToolCalls: []model.ToolCall{{ID: "a", Name: "x", Arguments: "{}"}, {ID: "b", Name: "y", Arguments: "{"}}},
				{Role: model.RoleTool, CallID: "a", Text: "ra"},
				{Role: model.RoleTool, CallID: "b", Text: "rb"},
				{Role: model.RoleAssistant, Text: "t1"},
				{Role: model.RoleUser, Text: "more"},
			}
			for range 2 { // the same request twice gets the same turn
				turn, err := c.Turn(context.Background(), model.Request{Agent: "/root", Input: input})
				if err != nil {
					t.Fatal(err)
				}
				if turn.Text != "t2" {
					t.Errorf("text = %q, want t2", turn.Text)
				}
			}
			if log := srv.Log(); len(log) != 2 || log[0].Turn != 2 || log[1].Turn != 2 {
				t.Errorf("log = %+v", log)
			}
		})
	}
}

func TestAgentSelection(t *testing.T) {
	script := `{"agents":{"/root/coder_a":[{"text":"by address"}],"role:tester":[{"text":"by role"}]}}`
	tests := []struct {
		name         string
		agent, role  string
		instructions string
		want         string // text, or error substring when wantErr
		wantErr      bool
	}{
		{"address header", "/root/coder_a", "coder", "", "by address", false},
		{"address wins over role", "/root/coder_a", "tester", "", "by address", false},
		{"role header", "/root/tester_b", "tester", "", "by role", false},
		{"instructions address", "", "", "You are an agent.\naddress: /root/coder_a\nrole: coder\n", "by address", false},
		{"instructions role", "", "", "role: tester\naddress: /root/t9", "by role", false},
		{"indented lines", "", "", "Context:\n  address: /root/coder_a\n  role: coder", "by address", false},
		{"headers win over instructions", "/root/x", "", "address: /root/coder_a", "no script for agent /root/x", true},
		{"unknown agent", "/root/nobody", "planner", "", "no script for agent /root/nobody / role:planner", true},
		{"nothing", "", "", "just a prompt", "unidentified caller", true},
		{"no turn", "/root/coder_a", "", "", "no turn 1 for /root/coder_a (script has 1)", true},
	}
	for _, wire := range wires {
		_, base := startServer(t, script)
		c, err := model.New(model.Config{BaseURL: base, Model: "m", WireAPI: wire})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(string(wire)+"/"+tt.name, func(t *testing.T) {
				input := []model.Item{{Role: model.RoleUser, Text: "x"}}
				if tt.name == "no turn" {
					input = append(input, model.Item{Role: model.RoleAssistant, Text: "by address"}, model.Item{Role: model.RoleUser, Text: "y"})
				}
				turn, err := c.Turn(context.Background(), model.Request{Agent: tt.agent, Role: tt.role, Instructions: tt.instructions, Input: input})
				if tt.wantErr {
					var perr *model.ProviderError
					if !errors.As(err, &perr) || perr.Status != 400 || !strings.Contains(perr.Message, tt.want) {
						t.Fatalf("err = %v, want a 400 mentioning %q", err, tt.want)
					}
					if turn.Attempts != 1 {
						t.Errorf("Attempts = %d, a 400 must not be retried", turn.Attempts)
					}
					return
				}
				if err != nil || turn.Text != tt.want {
					t.Errorf("turn = %+v, %v; want text %q", turn, err, tt.want)
				}
			})
		}
	}
}

func TestDelayedTurnsOverlap(t *testing.T) {
	srv, base := startServer(t, `{"agents":{"/root/a":[{"text":"a","delay_ms":40}],"/root/b":[{"text":"b","delay_ms":40}]}}`)
	c := newClient(t, base, model.WireResponses, nil)
	var wg sync.WaitGroup
	for _, agent := range []string{"/root/a", "/root/b"} {
		wg.Go(func() {
			if _, err := c.Turn(context.Background(), model.Request{Agent: agent, Input: []model.Item{{Role: model.RoleUser, Text: "x"}}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	log := srv.Log()
	if len(log) != 2 {
		t.Fatalf("log = %+v", log)
	}
	for _, e := range log {
		if e.End.Sub(e.Start) < 40*time.Millisecond {
			t.Errorf("%s answered after %s, want the 40ms delay", e.Agent, e.End.Sub(e.Start))
		}
	}
	if !log[0].Start.Before(log[1].End) || !log[1].Start.Before(log[0].End) {
		t.Errorf("turns did not overlap: %+v", log)
	}
}

// lineWriter hands each written line to a channel so tests wait on events.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w <- l
	}
	return len(p), nil
}

func TestDelayHonoursCancellation(t *testing.T) {
	lines := make(lineWriter, 10)
	s, err := scripted.ParseScript([]byte(`{"agents":{"/root":[{"text":"late","delay_ms":600000}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	srv := scripted.NewServer(s, scripted.WithLog(lines))
	entered := make(chan struct{}, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // whole request received: now it may be cancelled
		r.Body = io.NopCloser(bytes.NewReader(body))
		entered <- struct{}{}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := newClient(t, ts.URL+"/v1", model.WireChat, nil).Turn(ctx, model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: "x"}}})
		errc <- err
	}()
	<-entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Turn = %v, want context.Canceled", err)
	}
	if l := <-lines; !strings.Contains(l, "status=499") || !strings.Contains(l, "agent=/root") {
		t.Errorf("log line = %q, want the cancelled request with status 499", l)
	}
}

func TestRandomFaultsAlwaysFailing(t *testing.T) {
	_, base := startServer(t, `{"agents":{"/root":[{"text":"never"}]},"faults":{"rate":1,"seed":7,"kinds":["http_500"]}}`)
	sl := &sleeps{}
	c := newClient(t, base, model.WireResponses, sl)
	turn, err := c.Turn(context.Background(), model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: "x"}}})
	var perr *model.ProviderError
	if !errors.As(err, &perr) || perr.Status != 500 || !strings.Contains(err.Error(), "injected http_500") || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Fatalf("err = %v, want the last 500 with the attempt count", err)
	}
	if turn.Attempts != 4 || len(sl.all()) != 3 {
		t.Errorf("attempts = %d, sleeps = %v", turn.Attempts, sl.all())
	}
}

func TestRandomFaultsSeeded(t *testing.T) {
	run := func() []string {
		srv, base := startServer(t, `{"agents":{"/root":[{"text":"ok"}]},"faults":{"rate":0.5,"seed":42}}`)
		c := newClient(t, base, model.WireChat, nil)
		for range 10 {
			if _, err := c.Turn(context.Background(), model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: "x"}}}); err != nil {
				t.Logf("turn: %v", err)
			}
		}
		var faults []string
		for _, e := range srv.Log() {
			faults = append(faults, e.Fault)
		}
		return faults
	}
	a, b := run(), run()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("same seed, different faults: %v vs %v", a, b)
	}
	some := false
	for _, f := range a {
		some = some || f != ""
	}
	if !some {
		t.Errorf("rate 0.5 over %d requests injected no fault: %v", len(a), a)
	}
}

func TestListenAndServe(t *testing.T) {
	s, err := scripted.ParseScript([]byte(`{"agents":{"/root":[{"text":"hi"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- scripted.ListenAndServe(ctx, "127.0.0.1:0", s, pw) }()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatal("no startup line")
	}
	first := sc.Text()
	base := first[strings.Index(first, "http://"):]
	go func() {
		for sc.Scan() { // drain request lines
		}
	}()
	turn, err := newClient(t, base, model.WireChat, nil).Turn(context.Background(), model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: "x"}}})
	if err != nil || turn.Text != "hi" {
		t.Errorf("turn = %+v, %v", turn, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ListenAndServe = %v", err)
	}
	_ = pw.Close()
}

// TestInstructionsInContentParts checks the fallback for clients that send
// the system message as a list of text parts.
func TestInstructionsInContentParts(t *testing.T) {
	_, base := startServer(t, `{"agents":{"role:reviewer":[{"text":"reviewed"}]}}`)
	body := `{"model":"m","messages":[{"role":"developer","content":[{"type":"text","text":"You review."},{"type":"text","text":"role: reviewer"}]},{"role":"user","content":"x"}]}`
	res, err := http.Post(base+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(got), `"content":"reviewed"`) {
		t.Errorf("status %d body %s", res.StatusCode, got)
	}
}

func TestUnknownEndpoint(t *testing.T) {
	_, base := startServer(t, `{"agents":{"/root":[{"text":"x"}]}}`)
	for _, tc := range []struct {
		method, path string
		status       int
	}{{"GET", "/embeddings", 404}, {"GET", "/chat/completions", 405}, {"POST", "/models", 405}} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || !strings.Contains(string(body), `"type":"invalid_request_error"`) {
			t.Errorf("%s %s = %d %s", tc.method, tc.path, res.StatusCode, body)
		}
	}
}
