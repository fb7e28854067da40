package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/gdamore/tcell/v2"
)

// fakeAPI is a local API server over a unix socket in t.TempDir().
type fakeAPI struct {
	events   []messaging.Event
	controls chan messaging.Control
	hold     chan struct{} // closed to end a followed stream
}

func startAPI(t *testing.T, api *fakeAPI) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/runs", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode([]messaging.RunSummary{{ID: testRun, Status: "running", Active: true, Agents: 5}})
	})
	mux.HandleFunc("GET /v1/runs/{id}/events", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != testRun {
			http.Error(w, `{"error":"no such run"}`, http.StatusNotFound)
			return
		}
		after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": ping\n\n")
		for _, ev := range api.events {
			if ev.Seq <= after {
				continue
			}
			raw, _ := json.Marshal(ev)
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.Seq, ev.Type, raw)
		}
		w.(http.Flusher).Flush()
		if r.URL.Query().Get("follow") == "0" || api.hold == nil {
			return
		}
		select {
		case <-api.hold:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /v1/runs/{id}/control", func(w http.ResponseWriter, r *http.Request) {
		var c messaging.Control
		if err := json.NewDecoder(r.Body).Decode(&c); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":%q}`, err.Error())
			return
		}
		if err := c.Validate(); err != nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprintf(w, `{"error":%q}`, err.Error())
			return
		}
		api.controls <- c
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"ok":true}`)
	})
	mux.HandleFunc("GET /v1/runs/{id}/diff", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("agent") != "/root/coder_a" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":"no agent"}`)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, testDiff)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return sock
}

func TestAPIClient(t *testing.T) {
	api := &fakeAPI{events: teamScript().events, controls: make(chan messaging.Control, 4)}
	src := NewAPIClient(startAPI(t, api))
	ctx := t.Context()

	runs, err := src.Runs(ctx)
	if err != nil || len(runs) != 1 || runs[0].ID != testRun || !runs[0].Active {
		t.Fatalf("Runs = %+v, %v", runs, err)
	}

	diff, err := src.Diff(ctx, testRun, coderA)
	if err != nil || diff != testDiff {
		t.Fatalf("Diff = %q, %v", diff, err)
	}
	_, err = src.Diff(ctx, testRun, messaging.Root)
	if !errors.Is(err, ErrAPI) || !strings.Contains(err.Error(), "no agent") {
		t.Fatalf("Diff of unknown agent: %v, want the API's error text", err)
	}

	c := messaging.Control{Action: messaging.ActionPause, Target: coderA, By: "dashboard"}
	if err := src.Control(ctx, testRun, c); err != nil {
		t.Fatal(err)
	}
	if got := <-api.controls; got != c {
		t.Errorf("server got %+v, want %+v", got, c)
	}
	err = src.Control(ctx, testRun, messaging.Control{Action: "explode"})
	if !errors.Is(err, ErrAPI) || !strings.Contains(err.Error(), `unknown action "explode"`) || !strings.Contains(err.Error(), "422") {
		t.Errorf("bad control error = %v, want the API's text and status", err)
	}
}

func TestAPIClientEvents(t *testing.T) {
	script := teamScript().events
	tests := []struct {
		name  string
		run   string
		after uint64
		want  int
		err   string
	}{
		{"replay all", testRun, 0, len(script), ""},
		{"after a seq", testRun, 30, len(script) - 30, ""},
		{"unknown run", "r-20990101-zzzz", 0, 0, "no such run"},
	}
	api := &fakeAPI{events: script}
	src := NewAPIClient(startAPI(t, api))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, errs := src.Events(t.Context(), tt.run, tt.after)
			var got []messaging.Event
			for ev := range evs {
				got = append(got, ev)
			}
			err := <-errs
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("got %d events, want %d", len(got), tt.want)
			}
			first := script[len(script)-tt.want]
			if got[0].Seq != first.Seq || got[0].Type != first.Type || string(got[0].Data) != string(first.Data) || !got[0].Time.Equal(first.Time) {
				t.Errorf("first event = %+v, want %+v", got[0], first)
			}
		})
	}
}

func TestAPIClientFollowEndsWithContext(t *testing.T) {
	api := &fakeAPI{events: teamScript().events, hold: make(chan struct{})}
	defer close(api.hold)
	src := NewAPIClient(startAPI(t, api))
	ctx, cancel := context.WithCancel(t.Context())
	evs, errs := src.Events(ctx, testRun, 0)
	for range api.events {
		select {
		case <-evs:
		case <-time.After(waitLimit):
			t.Fatal("replay did not arrive")
		}
	}
	cancel() // the stream is still open: only ctx can end it
	for range evs {
	}
	if err := <-errs; err != nil {
		t.Errorf("error after cancel: %v", err)
	}
}

func TestReadSSE(t *testing.T) {
	ev := messaging.NewEvent(testRun, coderA, 1, t0, messaging.ModelTurn{Text: strings.Repeat("x", 200_000)})
	raw, _ := json.Marshal(ev)
	tests := []struct {
		name   string
		stream string
		n      int
		err    bool
	}{
		{"crlf and comments", ": ping\r\nid: 1\r\nevent: model_turn\r\ndata: " + string(raw) + "\r\n\r\n", 1, false},
		{"long line", "data: " + string(raw) + "\n\n: ping\n\ndata: " + string(raw) + "\n\n", 2, false},
		{"unterminated event is dropped", "data: " + string(raw), 0, false},
		{"bad json", "data: {nope\n\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := make(chan messaging.Event, 4)
			err := readSSE(t.Context(), io.NopCloser(strings.NewReader(tt.stream)), out)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v", err)
			}
			if len(out) != tt.n {
				t.Fatalf("%d events, want %d", len(out), tt.n)
			}
			if tt.n > 0 {
				if got := <-out; string(got.Data) != string(ev.Data) {
					t.Error("event data changed")
				}
			}
		})
	}
}

func TestRunOverAPI(t *testing.T) {
	api := &fakeAPI{events: teamScript().events, controls: make(chan messaging.Control, 4), hold: make(chan struct{})}
	defer close(api.hold)
	src := NewAPIClient(startAPI(t, api))
	drv, err := newSimDriver(120, 40)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- Run(t.Context(), src, testRun, Options{Screen: drv.screen, Tick: 5 * time.Millisecond, hooks: drv.hooks(nil)})
	}()
	if _, err := drv.wait(waitLimit, func(f frame) bool { return f.seq == uint64(len(api.events)) && strings.Contains(f.text, "approvals 1") }); err != nil {
		t.Fatal(err)
	}
	drv.key(tcell.KeyRune, 'a', 0)
	drv.key(tcell.KeyRune, 'y', 0)
	select {
	case c := <-api.controls:
		if c.Action != messaging.ActionApprove || c.ApprovalID != "ap-1" {
			t.Errorf("control over the API = %+v", c)
		}
	case <-time.After(waitLimit):
		t.Fatal("no control reached the API")
	}
	drv.key(tcell.KeyRune, 'q', 0)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
