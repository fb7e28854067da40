package model

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{"none", nil, 0, false},
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{"zero", map[string]string{"Retry-After": "0"}, 0, true},
		{"fractional", map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond, true},
		{"http date", map[string]string{"Retry-After": now.Add(30 * time.Second).Format(http.TimeFormat)}, 30 * time.Second, true},
		{"date in the past", map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0, true},
		{"milliseconds win", map[string]string{"Retry-After-Ms": "250", "Retry-After": "9"}, 250 * time.Millisecond, true},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
		{"negative", map[string]string{"Retry-After": "-3"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			got, ok := retryAfter(h, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("retryAfter = %v, %t; want %v, %t", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error":{"message":"model not found","type":"invalid_request_error"}}`, "model not found"},
		{`{"error":"rate limited"}`, "rate limited"},
		{`{"message":"bad gateway"}`, "bad gateway"},
		{"  upstream timeout\n", "upstream timeout"},
		{strings.Repeat("x", 600), strings.Repeat("x", 512) + "..."},
	}
	for _, tt := range tests {
		if got := errorMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("errorMessage(%.30q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	c := &client{cfg: Config{InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	for n, ceil := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 30: time.Second} {
		for range 50 {
			if d := c.backoff(n, nil); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, ceil)
			}
		}
	}
	ra := &ProviderError{Status: 429, RetryAfter: 42 * time.Second, retryAfterSet: true}
	if d := c.backoff(1, ra); d != 42*time.Second {
		t.Errorf("backoff with Retry-After on 429 = %v, want 42s", d)
	}
	ra.Status = 500 // Retry-After is only honoured on 429 and 503
	if d := c.backoff(1, ra); d > 100*time.Millisecond {
		t.Errorf("backoff with Retry-After on 500 = %v, want jittered backoff", d)
	}
}

func TestProviderErrorRetryable(t *testing.T) {
	for status, want := range map[int]bool{0: true, 400: false, 401: false, 403: false, 404: false, 408: true, 409: true, 422: false, 429: true, 500: true, 502: true, 503: true} {
		if got := (&ProviderError{Status: status}).Retryable(); got != want {
			t.Errorf("Retryable(%d) = %t, want %t", status, got, want)
		}
	}
}

func TestWatchedBodySeesDone(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		want   bool
	}{
		{"done", "data: {\"a\":1}\n\ndata: [DONE]\n\n", true},
		{"done first line", "data: [DONE]\n\n", true},
		{"done no space", "data: {}\n\ndata:[DONE]\n\n", true},
		{"crlf", "data: {}\r\n\r\ndata: [DONE]\r\n\r\n", true},
		{"cut", "data: {\"a\":1}\n\n", false},
		{"done inside content", `data: {"content":"\ndata: [DONE]"}` + "\n\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := &attempt{stall: time.Hour, timer: time.NewTimer(time.Hour)}
			defer at.timer.Stop()
			b := &watchedBody{rc: io.NopCloser(iotest.OneByteReader(strings.NewReader(tt.stream))), at: at, tail: []byte{'\n'}}
			if _, err := io.ReadAll(b); err != nil {
				t.Fatal(err)
			}
			if at.sawDone != tt.want {
				t.Errorf("sawDone = %t, want %t", at.sawDone, tt.want)
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"500 after retries", fmt.Errorf("turn failed after 5 attempts: %w", &ProviderError{Status: 500}), true},
		{"429", &ProviderError{Status: 429}, true},
		{"error event in a stream", &ProviderError{Message: "overloaded"}, true},
		{"bad key", &ProviderError{Status: 401}, true},
		{"context too long", &ProviderError{Status: 400, Message: "context too long"}, false},
		{"unknown model", &ProviderError{Status: 404}, false},
		{"cut stream", fmt.Errorf("attempt 5: %w", ErrStreamCut), true},
		{"stall", ErrStall, true},
		{"connection refused", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), true},
		{"cancelled", fmt.Errorf("abandoned: %w", context.Canceled), false},
		{"bad request built", fmt.Errorf("%w: tool without a name", ErrRequest), false},
	}
	for _, tt := range tests {
		if got := Unavailable(tt.err); got != tt.want {
			t.Errorf("%s: Unavailable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
