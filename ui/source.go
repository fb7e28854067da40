package ui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// Source is what the dashboard needs from a supervisor.
type Source interface {
	// Runs lists runs, active and finished.
	Runs(ctx context.Context) ([]messaging.RunSummary, error)
	// Events replays the run's journal after seq `after`, then follows it.
	// Both channels close when ctx ends or the run's stream ends; at most
	// one error is sent.
	Events(ctx context.Context, run string, after uint64) (<-chan messaging.Event, <-chan error)
	// Control sends one instruction to the run.
	Control(ctx context.Context, run string, c messaging.Control) error
	// Diff returns the unified diff of an agent's work.
	Diff(ctx context.Context, run string, agent messaging.Address) (string, error)
}

// ErrAPI is wrapped by every error the local API reports about a request.
var ErrAPI = errors.New("cadre api")

// apiClient speaks the supervisor's local API over a unix socket.
type apiClient struct {
	http *http.Client
}

// NewAPIClient returns a Source speaking the supervisor's local API: HTTP
// over the unix socket at socketPath.
func NewAPIClient(socketPath string) Source {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath)
		},
		DisableCompression: true,
	}
	return &apiClient{http: &http.Client{Transport: tr}}
}

const apiBase = "http://cadre/v1/runs"

func runURL(run, tail string) string {
	return apiBase + "/" + url.PathEscape(run) + tail
}

func (c *apiClient) do(ctx context.Context, method, u string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, apiError(method, u, resp)
	}
	return resp, nil
}

// apiError turns a failed response into an error carrying the API's text.
func apiError(method, u string, resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(raw))
	if json.Unmarshal(raw, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if msg == "" {
		msg = resp.Status
	}
	return fmt.Errorf("%w: %s %s: %d: %s", ErrAPI, method, strings.TrimPrefix(u, "http://cadre"), resp.StatusCode, msg)
}

func (c *apiClient) Runs(ctx context.Context) ([]messaging.RunSummary, error) {
	resp, err := c.do(ctx, http.MethodGet, apiBase, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var runs []messaging.RunSummary
	if err := json.NewDecoder(resp.Body).Decode(&runs); err != nil {
		return nil, fmt.Errorf("decode run list: %w", err)
	}
	return runs, nil
}

func (c *apiClient) Control(ctx context.Context, run string, ctl messaging.Control) error {
	raw, err := json.Marshal(ctl)
	if err != nil {
		return fmt.Errorf("encode control: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, runURL(run, "/control"), bytes.NewReader(raw))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

func (c *apiClient) Diff(ctx context.Context, run string, agent messaging.Address) (string, error) {
	resp, err := c.do(ctx, http.MethodGet, runURL(run, "/diff?agent="+url.QueryEscape(agent.String())), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("read diff of %s: %w", agent, err)
	}
	return string(raw), nil
}

func (c *apiClient) Events(ctx context.Context, run string, after uint64) (<-chan messaging.Event, <-chan error) {
	out := make(chan messaging.Event, 256)
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(out)
		resp, err := c.do(ctx, http.MethodGet, runURL(run, "/events?after="+strconv.FormatUint(after, 10)), nil)
		if err != nil {
			errc <- err
			return
		}
		defer resp.Body.Close()
		if err := readSSE(ctx, resp.Body, out); err != nil && ctx.Err() == nil {
			errc <- fmt.Errorf("events of run %s: %w", run, err)
		}
	}()
	return out, errc
}

// readSSE parses a text/event-stream of events into out until EOF.
func readSSE(ctx context.Context, r io.Reader, out chan<- messaging.Event) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var data []byte
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long line: gather it whole.
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			if len(data) == 0 {
				continue
			}
			var ev messaging.Event
			if err := json.Unmarshal(data, &ev); err != nil {
				return fmt.Errorf("decode event: %w", err)
			}
			data = data[:0]
			select {
			case out <- ev:
			case <-ctx.Done():
				return ctx.Err()
			}
		case line[0] == ':':
			// comment, e.g. a keep-alive ping
		case bytes.HasPrefix(line, []byte("data:")):
			v := bytes.TrimPrefix(line[len("data:"):], []byte(" "))
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, v...)
		default:
			// id: and event: lines carry nothing the JSON lacks.
		}
	}
}
