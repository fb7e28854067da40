package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every error about the content of a configuration:
// a TOML syntax error, a value of the wrong type or out of range, a model
// provider nobody defined. Errors reading a file wrap the os error instead.
var ErrInvalid = errors.New("invalid configuration")

// Error is one problem in the configuration, located where the value was
// set. Its text is "<where>: <key>: <message>", e.g.
//
//	/repo/.cadre/config.toml:7: limits.max_turns: expected an integer, got string "many"
type Error struct {
	// Where is "<file>:<line>" (or just "<file>" when the line is not
	// known) or the label of a command-line flag, e.g. "flag --model".
	Where string
	// Key is the dotted key, e.g. `budgets."/root".tokens`; empty for a
	// syntax error.
	Key string
	// Msg says what is wrong.
	Msg string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return e.Where + ": " + e.Msg
	}
	return e.Where + ": " + e.Key + ": " + e.Msg
}

// Unwrap makes every *Error match [ErrInvalid].
func (e *Error) Unwrap() error { return ErrInvalid }

// The values wire_api takes.
const (
	WireResponses = "responses"
	WireChat      = "chat"
)

// The values approval_policy takes.
const (
	ApprovalUntrusted = "untrusted"
	ApprovalOnRequest = "on-request"
	ApprovalNever     = "never"
)

// The values sandbox_mode takes. Codex CLI's "danger-full-access" is
// accepted as an alias of [SandboxOff] and stored as "off".
const (
	SandboxWorkspaceWrite = "workspace-write"
	SandboxOff            = "off"
)

// Config is cadre's effective configuration. The toml tags are the keys of
// the configuration files; the dotted key of a nested value joins them, e.g.
// "limits.max_turns" or `model_providers.local.base_url`.
//
// Zero values mean "not set" where no default is documented: a zero budget
// or price field is no limit / not priced, an empty role field falls back to
// the top-level one.
type Config struct {
	// Model is the model id agents use unless their role names another.
	Model string `toml:"model"`
	// ModelProvider is the id of the entry of ModelProviders to use.
	ModelProvider string `toml:"model_provider"`
	// ApprovalPolicy is "untrusted", "on-request" or "never".
	ApprovalPolicy string `toml:"approval_policy"`
	// SandboxMode is "workspace-write" or "off".
	SandboxMode string `toml:"sandbox_mode"`
	// ModelContextWindow is the model's context window in tokens (0: unknown).
	ModelContextWindow int64 `toml:"model_context_window"`
	// ModelAutoCompactTokenLimit is the conversation size in tokens above
	// which it is compacted (0: never).
	ModelAutoCompactTokenLimit int64 `toml:"model_auto_compact_token_limit"`
	// Notify is a program and its arguments, run when a run needs
	// attention or ends (empty: none).
	Notify []string `toml:"notify"`
	// TestCommand is the project's test command (empty: detected).
	TestCommand string `toml:"test_command"`

	// ModelProviders are the known providers by id; "openai" and "ollama"
	// are built in and may be overridden key by key.
	ModelProviders map[string]Provider `toml:"model_providers"`
	// Roles overrides or defines roles by name.
	Roles map[string]Role `toml:"roles"`
	// Limits bound a run.
	Limits Limits `toml:"limits"`
	// Budgets bound agents by address ("/root", "/root/coder_a").
	Budgets map[string]Budget `toml:"budgets"`
	// Prices are USD prices by model id, overriding the built-in table.
	Prices map[string]Price `toml:"prices"`
}

// Provider is an OpenAI-compatible model server, with Codex CLI's keys.
type Provider struct {
	// Name is for people ("OpenAI").
	Name string `toml:"name"`
	// BaseURL is the API root, e.g. "https://api.openai.com/v1".
	BaseURL string `toml:"base_url"`
	// EnvKey names the environment variable holding the API key; empty
	// means no key is sent. The key itself is never part of a Config.
	EnvKey string `toml:"env_key"`
	// WireAPI is "responses" or "chat" (default "chat" for a provider
	// defined in a file, as in Codex CLI).
	WireAPI string `toml:"wire_api"`
	// HTTPHeaders are added to every request.
	HTTPHeaders map[string]string `toml:"http_headers"`
	// EnvHTTPHeaders maps a header to the environment variable holding its
	// value; the header is sent when the variable is set and not empty.
	EnvHTTPHeaders map[string]string `toml:"env_http_headers"`
	// QueryParams are added to every request URL.
	QueryParams map[string]string `toml:"query_params"`
	// RequestMaxRetries is how often a failed request is retried; nil
	// means the client's default.
	RequestMaxRetries *int `toml:"request_max_retries"`
	// StreamMaxRetries is how often a cut stream is retried; nil means the
	// client's default.
	StreamMaxRetries *int `toml:"stream_max_retries"`
	// StreamIdleTimeout abandons a stream that sends nothing for this long;
	// 0 means the client's default. Set in milliseconds.
	StreamIdleTimeout time.Duration `toml:"stream_idle_timeout_ms"`
}

// Role overrides or defines what an agent of a role is.
type Role struct {
	// Model and ModelProvider override the top-level ones.
	Model         string `toml:"model"`
	ModelProvider string `toml:"model_provider"`
	// InstructionsFile is an absolute path (a relative one is resolved
	// against the directory of the file that set it). Only one of
	// InstructionsFile and Instructions is set: a later layer setting one
	// clears the other.
	InstructionsFile string `toml:"instructions_file"`
	// Instructions are inline instructions.
	Instructions string `toml:"instructions"`
	// Tools are the tool names the role may call; nil means the role's
	// default, an empty non-nil slice means none.
	Tools []string `toml:"tools"`
	// MaxTurns overrides limits.max_turns for agents of this role (0: not set).
	MaxTurns int `toml:"max_turns"`
}

// Limits bound a run.
type Limits struct {
	// MaxWorking is how many agents work (model turn or command) at once.
	MaxWorking int `toml:"max_working"`
	// MaxTurns is how many model turns an agent may take.
	MaxTurns int `toml:"max_turns"`
	// MaxAgents is how many agents a run may have in all.
	MaxAgents int `toml:"max_agents"`
	// MaxReviewRounds is how often a coder's work may be sent back.
	MaxReviewRounds int `toml:"max_review_rounds"`
}

// Budget bounds one agent (with its children). Zero fields are no limit.
type Budget struct {
	Tokens   int64         `toml:"tokens"`
	CostUSD  float64       `toml:"cost_usd"`
	WallTime time.Duration `toml:"wall_time"`
	Turns    int           `toml:"turns"`
}

// Price is what a model costs in USD per million tokens.
type Price struct {
	InputPerMTok       float64 `toml:"input_per_mtok"`
	CachedInputPerMTok float64 `toml:"cached_input_per_mtok"`
	OutputPerMTok      float64 `toml:"output_per_mtok"`
}

// Default returns the configuration before any file or flag: the defaults
// and the built-in providers.
func Default() Config {
	return Config{
		Model:          "gpt-5-codex",
		ModelProvider:  "openai",
		ApprovalPolicy: ApprovalOnRequest,
		SandboxMode:    SandboxWorkspaceWrite,
		ModelProviders: map[string]Provider{
			"openai": {Name: "OpenAI", BaseURL: "https://api.openai.com/v1", EnvKey: "OPENAI_API_KEY", WireAPI: WireResponses},
			"ollama": {Name: "Ollama", BaseURL: "http://localhost:11434/v1", WireAPI: WireChat},
		},
		Limits: Limits{MaxWorking: 4, MaxTurns: 60, MaxAgents: 16, MaxReviewRounds: 3},
	}
}

// ProviderFor resolves the provider and model an agent of role uses: the
// role's model and model_provider when set, the top-level ones otherwise.
// A role without an entry in Roles uses the top-level ones.
func (c *Config) ProviderFor(role string) (id string, p Provider, model string, err error) {
	id, model = c.ModelProvider, c.Model
	if r, ok := c.Roles[role]; ok {
		if r.ModelProvider != "" {
			id = r.ModelProvider
		}
		if r.Model != "" {
			model = r.Model
		}
	}
	p, ok := c.ModelProviders[id]
	if !ok {
		return "", Provider{}, "", fmt.Errorf("%w: role %q: unknown model provider %q (known: %s)",
			ErrInvalid, role, id, strings.Join(c.providerIDs(), ", "))
	}
	return id, p, model, nil
}

// APIKey returns the API key to send to p: the value of the environment
// variable p.EnvKey names, or "" (send no key) when EnvKey is empty. getenv
// nil means os.Getenv. The key is never stored in a Config.
func (c *Config) APIKey(p Provider, getenv func(string) string) string {
	if p.EnvKey == "" {
		return ""
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	return getenv(p.EnvKey)
}

// HTTPHeaders returns the headers to send to p: HTTPHeaders, plus each
// header of EnvHTTPHeaders whose variable is set and not empty. getenv nil
// means os.Getenv. The result is a new map; nil when there is none.
func (c *Config) HTTPHeaders(p Provider, getenv func(string) string) map[string]string {
	if getenv == nil {
		getenv = os.Getenv
	}
	var h map[string]string
	if len(p.HTTPHeaders) > 0 {
		h = maps.Clone(p.HTTPHeaders)
	}
	for name, env := range p.EnvHTTPHeaders {
		if v := getenv(env); v != "" {
			if h == nil {
				h = map[string]string{}
			}
			h[name] = v
		}
	}
	return h
}

func (c *Config) providerIDs() []string {
	return slices.Sorted(maps.Keys(c.ModelProviders))
}
