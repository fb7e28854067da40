package model

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/responses"
)

// client implements Client over openai-go services built without the SDK's
// environment defaults.
type client struct {
	cfg       Config
	chat      openai.ChatCompletionService
	responses responses.ResponseService
}

// attempt is what the HTTP middleware learns about one attempt; the stream
// code only sees what the SDK exposes, so status, Retry-After, the provider's
// message and the [DONE] marker are recorded here.
type attempt struct {
	stall   time.Duration
	timer   *time.Timer
	cancel  context.CancelCauseFunc
	stalled atomic.Bool

	mu      sync.Mutex
	perr    *ProviderError
	sawDone bool
}

type attemptKey struct{}

func newClient(cfg Config) *client {
	opts := []option.RequestOption{
		option.WithBaseURL(cfg.BaseURL),
		option.WithHTTPClient(cfg.HTTPClient),
		option.WithMaxRetries(0),
		option.WithMiddleware(observe),
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	for k, v := range cfg.Headers {
		opts = append(opts, option.WithHeader(k, v))
	}
	for k, v := range cfg.QueryParams {
		opts = append(opts, option.WithQuery(k, v))
	}
	return &client{
		cfg:       cfg,
		chat:      openai.NewChatCompletionService(opts...),
		responses: responses.NewResponseService(opts...),
	}
}

// result is what one successful attempt produced.
type result struct {
	text  string
	calls []ToolCall
	usage Usage
	model string
}

// attemptFunc runs one HTTP attempt of a prepared request; extra options
// are added to that attempt only.
type attemptFunc func(ctx context.Context, extra ...option.RequestOption) (result, error)

// prepare builds the body parameters and headers of req once for every
// attempt of a turn; [RequestBody] runs the same code.
func (c *client) prepare(req Request) (attemptFunc, error) {
	var reqOpts []option.RequestOption
	if req.Agent != "" {
		reqOpts = append(reqOpts, option.WithHeader("X-Cadre-Agent", req.Agent))
	}
	if req.Role != "" {
		reqOpts = append(reqOpts, option.WithHeader("X-Cadre-Role", req.Role))
	}
	if req.Purpose != "" {
		reqOpts = append(reqOpts, option.WithHeader("X-Cadre-Purpose", req.Purpose))
	}
	with := func(extra []option.RequestOption) []option.RequestOption {
		return append(append([]option.RequestOption(nil), reqOpts...), extra...)
	}
	switch c.cfg.WireAPI {
	case WireChat:
		params, err := c.chatParams(req)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, extra ...option.RequestOption) (result, error) {
			return c.chatAttempt(ctx, params, with(extra))
		}, nil
	default:
		params, err := c.responsesParams(req)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, extra ...option.RequestOption) (result, error) {
			return c.responsesAttempt(ctx, params, with(extra))
		}, nil
	}
}

// Turn takes one model turn, retrying as described in the package doc.
func (c *client) Turn(ctx context.Context, req Request) (Turn, error) {
	turn := Turn{Started: time.Now()}
	prepared, err := c.prepare(req)
	if err != nil {
		return turn, err
	}
	do := func(ctx context.Context) (result, error) { return prepared(ctx) }

	for n := 1; ; n++ {
		turn.Attempts = n
		res, err := c.runAttempt(ctx, do)
		if err == nil {
			turn.Text, turn.ToolCalls, turn.Usage = res.text, res.calls, res.usage
			turn.Model = res.model
			if turn.Model == "" {
				turn.Model = c.cfg.Model
			}
			turn.Finished = time.Now()
			return turn, nil
		}
		turn.Finished = time.Now()
		if ctx.Err() != nil {
			return turn, fmt.Errorf("model: turn abandoned on attempt %d: %w", n, context.Cause(ctx))
		}
		var perr *ProviderError
		if errors.As(err, &perr) && !perr.Retryable() {
			return turn, fmt.Errorf("model: turn failed on attempt %d: %w", n, err)
		}
		if n >= c.cfg.MaxAttempts {
			return turn, fmt.Errorf("model: turn failed after %d attempts: %w", n, err)
		}
		wait := c.backoff(n, perr)
		if c.cfg.OnRetry != nil {
			c.cfg.OnRetry(n, err, wait)
		}
		if serr := c.cfg.Sleep(ctx, wait); serr != nil {
			return turn, fmt.Errorf("model: turn abandoned while waiting to retry after attempt %d (%v): %w", n, err, serr)
		}
	}
}

// runAttempt runs one attempt under a stall watchdog and classifies its
// outcome: nil, *ProviderError, ErrStall, ErrStreamCut or a transport error.
func (c *client) runAttempt(parent context.Context, do func(context.Context) (result, error)) (result, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	at := &attempt{stall: c.cfg.StallTimeout, cancel: cancel}
	at.timer = time.AfterFunc(at.stall, func() {
		at.stalled.Store(true)
		cancel(ErrStall)
	})
	defer at.timer.Stop()
	ctx = context.WithValue(ctx, attemptKey{}, at)

	res, err := do(ctx)
	at.timer.Stop()
	if parent.Err() != nil {
		return result{}, context.Cause(parent)
	}
	if at.stalled.Load() {
		return result{}, fmt.Errorf("%w: nothing received for %s", ErrStall, at.stall)
	}
	at.mu.Lock()
	perr := at.perr
	at.mu.Unlock()
	if perr != nil {
		return result{}, perr
	}
	if err != nil {
		var se *ssestream.StreamError
		if errors.As(err, &se) {
			return result{}, &ProviderError{Message: streamErrorMessage(se)}
		}
		var aerr *openai.Error
		if errors.As(err, &aerr) {
			return result{}, &ProviderError{Status: aerr.StatusCode, Message: aerr.Message}
		}
		return result{}, err
	}
	return res, nil
}

func streamErrorMessage(se *ssestream.StreamError) string {
	var body struct {
		Message string `json:"message"`
		Error   struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(se.Event.Data, &body) == nil {
		if body.Error.Message != "" {
			return body.Error.Message
		}
		if body.Message != "" {
			return body.Message
		}
	}
	return se.Message
}

// backoff returns the wait after failed attempt n: the provider's Retry-After
// on 429/503 when given, else exponential backoff with full jitter.
func (c *client) backoff(n int, perr *ProviderError) time.Duration {
	if perr != nil && perr.retryAfterSet &&
		(perr.Status == http.StatusTooManyRequests || perr.Status == http.StatusServiceUnavailable) {
		return perr.RetryAfter
	}
	ceil := c.cfg.InitialBackoff
	for i := 1; i < n && ceil < c.cfg.MaxBackoff; i++ {
		ceil *= 2
	}
	ceil = min(ceil, c.cfg.MaxBackoff)
	if ceil <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// observe is the SDK middleware that records status, Retry-After and the
// provider's message of error answers, and watches successful bodies for
// stalls and for the chat [DONE] marker.
func observe(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	at, _ := req.Context().Value(attemptKey{}).(*attempt)
	res, err := next(req)
	if at == nil || err != nil {
		return res, err
	}
	if res.StatusCode >= 400 {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		_ = res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(body))
		perr := &ProviderError{Status: res.StatusCode, Message: errorMessage(body)}
		perr.RetryAfter, perr.retryAfterSet = retryAfter(res.Header, time.Now())
		at.mu.Lock()
		at.perr = perr
		at.mu.Unlock()
		return res, nil
	}
	at.timer.Reset(at.stall)
	res.Body = &watchedBody{rc: res.Body, at: at, tail: []byte{'\n'}}
	return res, nil
}

// errorMessage extracts the provider's message from an error body: the
// OpenAI shape {"error":{"message":...}}, {"error":"..."}, {"message":...},
// else the trimmed text itself.
func errorMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil {
		var inner struct {
			Message string `json:"message"`
		}
		var s string
		switch {
		case json.Unmarshal(v.Error, &inner) == nil && inner.Message != "":
			return inner.Message
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			return s
		case v.Message != "":
			return v.Message
		}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 512 {
		msg = msg[:512] + "..."
	}
	return msg
}

// retryAfter parses retry-after-ms, then Retry-After as seconds or an HTTP
// date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// doneMarkers are the chat terminal event lines; a JSON payload cannot hold
// a raw newline, so "\ndata: [DONE]" only matches the real terminal event.
var doneMarkers = [][]byte{[]byte("\ndata: [DONE]"), []byte("\ndata:[DONE]")}

const markerLen = len("\ndata: [DONE]")

// watchedBody resets the stall timer on every byte received and notes the
// chat [DONE] marker.
type watchedBody struct {
	rc   io.ReadCloser
	at   *attempt
	tail []byte
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.at.timer.Reset(b.at.stall)
		buf := append(b.tail, p[:n]...)
		for _, m := range doneMarkers {
			if bytes.Contains(buf, m) {
				b.at.mu.Lock()
				b.at.sawDone = true
				b.at.mu.Unlock()
			}
		}
		if len(buf) > markerLen {
			buf = buf[len(buf)-markerLen:]
		}
		b.tail = append(make([]byte, 0, markerLen+1), buf...)
	}
	return n, err
}

func (b *watchedBody) Close() error { return b.rc.Close() }

func attemptOf(ctx context.Context) *attempt {
	at, _ := ctx.Value(attemptKey{}).(*attempt)
	return at
}
