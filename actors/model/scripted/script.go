package scripted

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Fault kinds a script can inject.
const (
	FaultHTTP500 = "http_500"
	FaultHTTP429 = "http_429"
	FaultCut     = "cut"
)

// ErrScript is wrapped by every error of [ParseScript] and [LoadScript].
var ErrScript = errors.New("scripted: invalid script")

// Script is what the server plays: for each agent key, its turns in order.
type Script struct {
	// Agents maps an agent key to its turns. A key is an exact address
	// ("/root", "/root/coder_a") or a role ("role:tester").
	Agents map[string][]Turn `json:"agents"`
	// Faults adds random faults to every request.
	Faults *RandomFaults `json:"faults,omitempty"`
	// FinishReasonStop makes every chat answer with tool calls end with
	// finish_reason "stop", the way some local servers do.
	FinishReasonStop bool `json:"finish_reason_stop,omitempty"`
	// ContextWindow, in tokens, makes the server refuse a request whose
	// estimated input (request bytes/4, as in its usage) exceeds it, with a
	// 400 context_length_exceeded error the way a provider does. 0: no
	// limit. A tiny window lets tests drive agents into compaction.
	ContextWindow int `json:"context_window,omitempty"`
}

// Turn is one scripted assistant turn: final text, tool calls, or both.
type Turn struct {
	Text      string     `json:"text,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// DelayMS delays the answer (request cancellation ends the wait).
	DelayMS int `json:"delay_ms,omitempty"`
	// Fault is served Times times for this (agent, turn) before the turn is
	// served normally.
	Fault *Fault `json:"fault,omitempty"`
	// FinishReasonStop: see Script.FinishReasonStop; for this turn only.
	FinishReasonStop bool `json:"finish_reason_stop,omitempty"`
}

// ToolCall is one scripted tool call. Arguments must be a JSON object;
// RawArguments is sent verbatim and may be anything, even invalid JSON.
// Neither given means "{}".
type ToolCall struct {
	Name         string          `json:"name"`
	Arguments    json.RawMessage `json:"arguments,omitempty"`
	RawArguments *string         `json:"raw_arguments,omitempty"`
}

// ArgumentsText is the exact argument text the server sends.
func (c ToolCall) ArgumentsText() string {
	switch {
	case c.RawArguments != nil:
		return *c.RawArguments
	case len(c.Arguments) > 0:
		var b bytes.Buffer
		if json.Compact(&b, c.Arguments) == nil {
			return b.String()
		}
		return string(c.Arguments)
	}
	return "{}"
}

// Fault is a failure served instead of a turn.
type Fault struct {
	Kind string `json:"kind"`
	// Times is how often the fault is served (default 1).
	Times int `json:"times,omitempty"`
	// RetryAfterS is the Retry-After header of http_429 (seconds).
	RetryAfterS int `json:"retry_after_s,omitempty"`
}

// RandomFaults injects faults into any request with a seeded RNG.
type RandomFaults struct {
	// Rate is the probability in [0,1] that a request gets a fault.
	Rate  float64  `json:"rate"`
	Seed  uint64   `json:"seed,omitempty"`
	Kinds []string `json:"kinds,omitempty"`
	// RetryAfterS is the Retry-After header of random http_429 faults.
	RetryAfterS int `json:"retry_after_s,omitempty"`
}

var (
	addressRE = regexp.MustCompile(`^/root(/[a-z][a-z0-9_]{0,31})*$`)
	roleKeyRE = regexp.MustCompile(`^role:[a-z][a-z0-9_-]{0,63}$`)
)

// LoadScript reads and parses a script file.
func LoadScript(path string) (*Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrScript, err)
	}
	s, err := ParseScript(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseScript parses a JSON script strictly: unknown fields and bad values
// are errors that name the agent and the turn.
func ParseScript(data []byte) (*Script, error) {
	var top struct {
		Agents           map[string][]json.RawMessage `json:"agents"`
		Faults           json.RawMessage              `json:"faults,omitempty"`
		FinishReasonStop bool                         `json:"finish_reason_stop,omitempty"`
		ContextWindow    int                          `json:"context_window,omitempty"`
	}
	if err := strictDecode(data, &top); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrScript, err)
	}
	if len(top.Agents) == 0 {
		return nil, fmt.Errorf("%w: no agents", ErrScript)
	}
	if top.ContextWindow < 0 {
		return nil, fmt.Errorf("%w: context_window %d is negative", ErrScript, top.ContextWindow)
	}
	s := &Script{Agents: make(map[string][]Turn, len(top.Agents)), FinishReasonStop: top.FinishReasonStop, ContextWindow: top.ContextWindow}
	keys := make([]string, 0, len(top.Agents))
	for k := range top.Agents {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if !addressRE.MatchString(key) && !roleKeyRE.MatchString(key) {
			return nil, fmt.Errorf("%w: agent %q: key must be an address like /root/coder_a or role:NAME", ErrScript, key)
		}
		raws := top.Agents[key]
		if len(raws) == 0 {
			return nil, fmt.Errorf("%w: agent %q: no turns", ErrScript, key)
		}
		turns := make([]Turn, len(raws))
		for i, raw := range raws {
			if err := strictDecode(raw, &turns[i]); err != nil {
				return nil, fmt.Errorf("%w: agent %q turn %d: %v", ErrScript, key, i, err)
			}
			if err := turns[i].validate(); err != nil {
				return nil, fmt.Errorf("%w: agent %q turn %d: %v", ErrScript, key, i, err)
			}
		}
		s.Agents[key] = turns
	}
	if len(top.Faults) > 0 && string(top.Faults) != "null" {
		var f RandomFaults
		if err := strictDecode(top.Faults, &f); err != nil {
			return nil, fmt.Errorf("%w: faults: %v", ErrScript, err)
		}
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("%w: faults: %v", ErrScript, err)
		}
		s.Faults = &f
	}
	return s, nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func (t *Turn) validate() error {
	if t.Text == "" && len(t.ToolCalls) == 0 {
		return errors.New(`a turn needs "text" or "tool_calls"`)
	}
	if t.DelayMS < 0 {
		return fmt.Errorf("delay_ms %d is negative", t.DelayMS)
	}
	for j, c := range t.ToolCalls {
		if strings.TrimSpace(c.Name) == "" {
			return fmt.Errorf("tool call %d: name is missing", j)
		}
		if c.RawArguments != nil && len(c.Arguments) > 0 {
			return fmt.Errorf("tool call %d (%s): give arguments or raw_arguments, not both", j, c.Name)
		}
		if len(c.Arguments) > 0 {
			var obj map[string]any
			if err := json.Unmarshal(c.Arguments, &obj); err != nil || obj == nil {
				return fmt.Errorf("tool call %d (%s): arguments must be a JSON object (use raw_arguments for anything else)", j, c.Name)
			}
		}
	}
	if t.Fault != nil {
		if err := checkKind(t.Fault.Kind); err != nil {
			return fmt.Errorf("fault: %v", err)
		}
		if t.Fault.Times < 0 {
			return fmt.Errorf("fault: times %d is negative", t.Fault.Times)
		}
		if t.Fault.Times == 0 {
			t.Fault.Times = 1
		}
		if t.Fault.RetryAfterS < 0 {
			return fmt.Errorf("fault: retry_after_s %d is negative", t.Fault.RetryAfterS)
		}
	}
	return nil
}

func (f *RandomFaults) validate() error {
	if f.Rate < 0 || f.Rate > 1 {
		return fmt.Errorf("rate %v is not within [0,1]", f.Rate)
	}
	if f.RetryAfterS < 0 {
		return fmt.Errorf("retry_after_s %d is negative", f.RetryAfterS)
	}
	if len(f.Kinds) == 0 {
		f.Kinds = []string{FaultHTTP500, FaultHTTP429, FaultCut}
	}
	for _, k := range f.Kinds {
		if err := checkKind(k); err != nil {
			return err
		}
	}
	return nil
}

func checkKind(k string) error {
	switch k {
	case FaultHTTP500, FaultHTTP429, FaultCut:
		return nil
	}
	return fmt.Errorf("unknown fault kind %q (want %s, %s or %s)", k, FaultHTTP500, FaultHTTP429, FaultCut)
}
