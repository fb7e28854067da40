package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// WireAPI selects the HTTP API a provider is spoken to with.
type WireAPI string

// The wire APIs a [Client] speaks.
const (
	WireResponses WireAPI = "responses"
	WireChat      WireAPI = "chat"
)

// Defaults applied by [New] to zero fields of [Config].
const (
	DefaultMaxAttempts    = 5
	DefaultInitialBackoff = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultStallTimeout   = 60 * time.Second
)

// Config configures a [Client]. Only Model and BaseURL are required.
type Config struct {
	// BaseURL is the provider's API root, e.g. "https://api.openai.com/v1" or
	// "http://127.0.0.1:8080/v1". Paths "chat/completions" and "responses" are
	// resolved against it.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer KEY". Empty means no
	// Authorization header is sent at all. The key never appears in errors.
	APIKey string
	// Model is the model id sent with every request.
	Model string
	// WireAPI is "responses" (the default when empty) or "chat".
	WireAPI WireAPI
	// Headers and QueryParams are added to every request.
	Headers     map[string]string
	QueryParams map[string]string
	// MaxAttempts bounds how many times one turn is tried (default 5).
	MaxAttempts int
	// InitialBackoff and MaxBackoff shape the exponential backoff with full
	// jitter between attempts. A Retry-After header on 429/503 wins.
	InitialBackoff, MaxBackoff time.Duration
	// StallTimeout abandons an attempt whose response sends nothing for this
	// long (default 60s); the turn is then retried.
	StallTimeout time.Duration
	// HTTPClient is the transport; nil means a fresh client with the default
	// transport settings.
	HTTPClient *http.Client
	// OnRetry, when set, is called before every wait between attempts with
	// the number of the attempt that failed, its error and the wait.
	OnRetry func(attempt int, err error, wait time.Duration)
	// Sleep waits between attempts; nil means a timer that stops early when
	// ctx is done. Tests inject it to observe waits without sleeping.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Role is who an [Item] of a conversation comes from.
type Role string

// The roles of conversation items.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Tool is a function the model may call. Parameters is its JSON Schema; nil
// means an object without properties.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// Item is one entry of the conversation sent to the model.
type Item struct {
	Role Role
	// Text is the message text (user, assistant) or the tool output (tool).
	Text string
	// ToolCalls are the calls an assistant item made.
	ToolCalls []ToolCall
	// CallID is, for a tool item, the ToolCall.ID this output answers.
	CallID string
}

// ToolCall is one function call made by the model.
type ToolCall struct {
	ID   string
	Name string
	// Arguments is the raw JSON text exactly as the model sent it; it may be
	// invalid JSON or violate the tool's schema.
	Arguments string
}

// PurposeCompact marks a [Request] that asks for a summary of the
// conversation so far (context compaction), not for the agent's next turn.
const PurposeCompact = "compact"

// Request is one model turn to take.
type Request struct {
	// Agent and Role identify the caller; they are sent as the headers
	// X-Cadre-Agent and X-Cadre-Role when not empty.
	Agent, Role string
	// Purpose is "" for an agent's turn and [PurposeCompact] for a
	// compaction summary; it is sent as the header X-Cadre-Purpose when not
	// empty.
	Purpose string
	// Instructions is the system prompt.
	Instructions    string
	Input           []Item
	Tools           []Tool
	MaxOutputTokens int
}

// Usage is the token accounting of one turn as the provider reported it.
type Usage struct {
	InputTokens       int64
	CachedInputTokens int64
	OutputTokens      int64
}

// Turn is the outcome of one completed model turn: either final Text or one
// or more ToolCalls (a provider may send both).
type Turn struct {
	Text      string
	ToolCalls []ToolCall
	Usage     Usage
	// Attempts is how many HTTP attempts the turn took (1 without retries).
	Attempts int
	// Model is the model id the provider reported (Config.Model if none).
	Model    string
	Started  time.Time
	Finished time.Time
}

// Client takes model turns. It is safe for concurrent use.
type Client interface {
	Turn(ctx context.Context, req Request) (Turn, error)
}

// ErrStreamCut means a stream ended without its terminal event ([DONE] for
// chat, response.completed for responses). The turn is retried.
var ErrStreamCut = errors.New("model: stream ended without its terminal event")

// ErrStall means a response sent nothing for Config.StallTimeout. The turn is
// retried.
var ErrStall = errors.New("model: stream stalled")

// ErrConfig is wrapped by every configuration error [New] returns.
var ErrConfig = errors.New("model: invalid config")

// ErrRequest is wrapped by errors about a [Request] that cannot be sent
// (unknown item role, tool parameters that are not JSON, ...).
var ErrRequest = errors.New("model: invalid request")

// ProviderError is an error answer of the provider: an HTTP status >= 400, or
// an error event inside a stream (Status 0).
type ProviderError struct {
	Status int
	// Message is the provider's own error message.
	Message string
	// RetryAfter is the wait the provider asked for (Retry-After header).
	RetryAfter time.Duration

	retryAfterSet bool
}

func (e *ProviderError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Status == 0 {
		return "model: provider error in stream: " + msg
	}
	return fmt.Sprintf("model: provider returned %d: %s", e.Status, msg)
}

// Unavailable reports whether err, returned by a turn, says the provider
// itself cannot serve right now (overloaded, down, unreachable, stalling,
// or refusing the credentials) rather than that this request is wrong: a
// later attempt of the same conversation may succeed.
func Unavailable(err error) bool {
	var perr *ProviderError
	if !errors.As(err, &perr) {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrRequest) && !errors.Is(err, ErrConfig)
	}
	return perr.Retryable() || perr.Status == http.StatusUnauthorized || perr.Status == http.StatusForbidden
}

// Retryable reports whether the turn is worth trying again after this error.
func (e *ProviderError) Retryable() bool {
	switch {
	case e.Status == 0: // error event inside a stream
		return true
	case e.Status == http.StatusRequestTimeout, e.Status == http.StatusConflict,
		e.Status == http.StatusTooManyRequests, e.Status >= 500:
		return true
	}
	return false
}

// New validates cfg, applies defaults and returns a Client.
func New(cfg Config) (Client, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, fmt.Errorf("%w: model is missing", ErrConfig)
	}
	switch cfg.WireAPI {
	case "":
		cfg.WireAPI = WireResponses
	case WireResponses, WireChat:
	default:
		return nil, fmt.Errorf("%w: unknown wire_api %q (want %q or %q)", ErrConfig, cfg.WireAPI, WireResponses, WireChat)
	}
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("%w: base_url is missing", ErrConfig)
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("%w: base_url %q: %v", ErrConfig, cfg.BaseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: base_url %q: scheme must be http or https", ErrConfig, cfg.BaseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: base_url %q: no host", ErrConfig, cfg.BaseURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: base_url must not carry credentials; use the API key setting", ErrConfig)
	}
	if cfg.MaxAttempts < 0 || cfg.InitialBackoff < 0 || cfg.MaxBackoff < 0 || cfg.StallTimeout < 0 {
		return nil, fmt.Errorf("%w: max_attempts, backoffs and stall timeout must not be negative", ErrConfig)
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.InitialBackoff == 0 {
		cfg.InitialBackoff = DefaultInitialBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxBackoff < cfg.InitialBackoff {
		cfg.MaxBackoff = cfg.InitialBackoff
	}
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: http.DefaultTransport}
		if tr, ok := http.DefaultTransport.(*http.Transport); ok {
			cfg.HTTPClient.Transport = tr.Clone()
		}
	}
	return newClient(cfg), nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
