package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor/journal"
)

// SocketPath is where the running supervisor of a state directory serves
// its local API.
func SocketPath(state string) string { return filepath.Join(state, "api.sock") }

// ServeAPI serves the local API on the state directory's unix socket until
// ctx ends:
//
//	GET  /v1/runs                          run summaries (JSON)
//	GET  /v1/runs/{id}/events?after=N      journal events as server-sent events;
//	                                       replays, then follows (follow=0: replay only)
//	POST /v1/runs/{id}/control             a messaging.Control (JSON) → 202 {"ok":true}
//	GET  /v1/runs/{id}/diff?agent=ADDR     the agent's work against the run's base
//
// Only the process holding the state lock serves it, so a stale socket left
// by a killed process is removed first.
func (s *Supervisor) ServeAPI(ctx context.Context) error {
	path := SocketPath(s.state)
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("local API: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("local API: %w", err)
	}
	srv := &http.Server{Handler: s.APIHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	err = srv.Serve(ln)
	_ = os.Remove(path)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// APIHandler is the local API's handler (see ServeAPI).
func (s *Supervisor) APIHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/runs", func(w http.ResponseWriter, r *http.Request) {
		runs, err := s.db.Runs()
		if err != nil {
			apiError(w, http.StatusInternalServerError, err)
			return
		}
		if runs == nil {
			runs = []messaging.RunSummary{}
		}
		writeJSON(w, http.StatusOK, runs)
	})
	mux.HandleFunc("GET /v1/runs/{id}/events", s.serveEvents)
	mux.HandleFunc("POST /v1/runs/{id}/control", func(w http.ResponseWriter, r *http.Request) {
		run, ok := s.activeRun(r.PathValue("id"))
		if !ok {
			apiError(w, http.StatusNotFound, fmt.Errorf("run %s is not active in this supervisor", r.PathValue("id")))
			return
		}
		var c messaging.Control
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&c); err != nil {
			apiError(w, http.StatusBadRequest, fmt.Errorf("control: %w", err))
			return
		}
		if err := run.Control(r.Context(), c); err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, messaging.ErrBadControl) || errors.Is(err, ErrNoRecipient) || errors.Is(err, ErrNoApproval) {
				status = http.StatusUnprocessableEntity
			}
			apiError(w, status, err)
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]bool{"ok": true})
	})
	mux.HandleFunc("GET /v1/runs/{id}/diff", func(w http.ResponseWriter, r *http.Request) {
		agent, err := messaging.ParseAddress(r.URL.Query().Get("agent"))
		if err != nil {
			apiError(w, http.StatusBadRequest, err)
			return
		}
		diff, err := s.Diff(r.Context(), r.PathValue("id"), agent)
		if err != nil {
			apiError(w, http.StatusNotFound, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(diff))
	})
	return mux
}

func (s *Supervisor) activeRun(id string) (*Run, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[id]
	return r, ok
}

// Diff is an agent's work (its branch tip) against the run's base.
func (s *Supervisor) Diff(ctx context.Context, run string, agent messaging.Address) (string, error) {
	r, ok := s.activeRun(run)
	if !ok {
		return "", fmt.Errorf("run %s is not active", run)
	}
	st, ok := r.agent(agent)
	if !ok || st.wt == nil {
		return "", fmt.Errorf("%w: %s", ErrNoRecipient, agent)
	}
	return r.Repo.Diff(ctx, r.Base, r.head(st))
}

func (s *Supervisor) serveEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	follow := r.URL.Query().Get("follow") != "0"
	if _, err := s.db.Run(id); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, journal.ErrNoRun) {
			status = http.StatusNotFound
		}
		apiError(w, status, err)
		return
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	write := func(ev messaging.Event) error {
		raw, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.Seq, ev.Type, raw)
		return err
	}
	if !follow {
		_ = s.db.Events(id, after, write)
		if flusher != nil {
			flusher.Flush()
		}
		return
	}
	// A run_suspended already in the journal was followed by a resume; only
	// the last event, or one that comes live, ends the stream.
	last, _ := s.db.LastSeq(id)
	sub := s.db.Subscribe(id, after)
	defer sub.Close()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			if write(ev) != nil {
				return
			}
			if ev.Type == messaging.EvRunFinished || (ev.EndsStream() && ev.Seq >= last) {
				if flusher != nil {
					flusher.Flush()
				}
				return
			}
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// Control applies a control to a run this supervisor is running.
func (s *Supervisor) Control(ctx context.Context, run string, c messaging.Control) error {
	r, ok := s.activeRun(run)
	if !ok {
		if c.Action == messaging.ActionBudget {
			return s.raiseBudgetOffline(ctx, run, c)
		}
		return fmt.Errorf("run %s is not active in this process: controls reach only a running run", run)
	}
	return r.Control(ctx, c)
}

// raiseBudgetOffline raises a budget of a run no process runs: the new
// budget is journaled and applies when the run is resumed.
func (s *Supervisor) raiseBudgetOffline(ctx context.Context, run string, c messaging.Control) error {
	if err := c.Validate(); err != nil {
		return err
	}
	sum, err := s.db.Run(run)
	if err != nil {
		return err
	}
	if sum.Status != StatusInterrupted && sum.Status != StatusRunning {
		return fmt.Errorf("run %s: %w (%s)", run, ErrFinished, sum.Status)
	}
	var cur messaging.Budget
	if err := s.db.AgentEvents(run, c.Target, 0, func(ev messaging.Event) error {
		var p messaging.BudgetSet
		if ev.Type == messaging.EvBudgetSet && ev.Decode(&p) == nil {
			cur = p.Budget
		}
		return nil
	}); err != nil {
		return err
	}
	by := c.By
	if by == "" {
		by = "api"
	}
	_, err = s.record(ctx, messaging.NewEvent(run, c.Target, 0, s.now(), messaging.BudgetSet{Budget: cur.Add(*c.Raise), By: by}))
	return err
}
