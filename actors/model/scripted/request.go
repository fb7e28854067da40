package scripted

import (
	"encoding/json"
	"fmt"
	"strings"
)

// request is what the server needs from a chat or responses request body.
type request struct {
	Model        string
	Stream       bool
	includeUsage bool
	system       string // system/developer text and instructions, joined
	turnIndex    int    // assistant turns already in the conversation, compacted ones included
	inputBytes   int    // size of the request body
	cachedBytes  int    // bytes of the conversation up to the last assistant turn
	items        int    // conversation items (system/developer ones not counted)
	compacted    int    // assistant turns a compaction header says were replaced
	toolOutputs  []string
}

type chatBody struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages []json.RawMessage `json:"messages"`
}

type responsesBody struct {
	Model        string          `json:"model"`
	Stream       bool            `json:"stream"`
	Instructions string          `json:"instructions"`
	Input        json.RawMessage `json:"input"`
}

// message is the part of a chat message or responses input item the server
// reads.
type message struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Output  json.RawMessage `json:"output"` // responses function_call_output
}

// note counts one conversation item: the compaction header of the first
// one, and tool outputs for a summary.
func (r *request) note(m message) {
	r.items++
	switch {
	case r.items == 1 && m.Role == "user":
		r.compacted = compactedTurns(contentText(m.Content))
	case m.Role == "tool":
		r.toolOutputs = append(r.toolOutputs, contentText(m.Content))
	case m.Type == "function_call_output":
		r.toolOutputs = append(r.toolOutputs, contentText(m.Output))
	}
}

func parseRequest(wire string, body []byte) (request, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return request{}, errNoBody
	}
	r := request{inputBytes: len(body)}
	if wire == WireChat {
		var b chatBody
		if err := json.Unmarshal(body, &b); err != nil {
			return r, fmt.Errorf("chat request is not valid JSON: %v", err)
		}
		if len(b.Messages) == 0 {
			return r, fmt.Errorf("chat request has no messages")
		}
		r.Model, r.Stream = b.Model, b.Stream
		r.includeUsage = b.StreamOptions != nil && b.StreamOptions.IncludeUsage
		var sys []string
		lastAssistantEnd := 0
		for i, raw := range b.Messages {
			var m message
			if err := json.Unmarshal(raw, &m); err != nil {
				return r, fmt.Errorf("chat message %d: %v", i, err)
			}
			switch m.Role {
			case "system", "developer":
				sys = append(sys, contentText(m.Content))
			case "assistant":
				r.turnIndex++
				lastAssistantEnd = i
			}
			if m.Role != "system" && m.Role != "developer" {
				r.note(m)
			}
		}
		r.turnIndex += r.compacted
		for _, raw := range b.Messages[:lastAssistantEnd] {
			r.cachedBytes += len(raw)
		}
		r.system = strings.Join(sys, "\n")
		return r, nil
	}

	var b responsesBody
	if err := json.Unmarshal(body, &b); err != nil {
		return r, fmt.Errorf("responses request is not valid JSON: %v", err)
	}
	r.Model, r.Stream = b.Model, b.Stream
	r.includeUsage = true
	sys := []string{b.Instructions}
	var items []json.RawMessage
	if len(b.Input) > 0 && b.Input[0] == '[' {
		if err := json.Unmarshal(b.Input, &items); err != nil {
			return r, fmt.Errorf("responses input: %v", err)
		}
	}
	inAssistant := false
	lastAssistantStart := -1
	for i, raw := range items {
		var m message
		if err := json.Unmarshal(raw, &m); err != nil {
			return r, fmt.Errorf("responses input item %d: %v", i, err)
		}
		assistant := m.Type == "function_call" || (m.Role == "assistant" && (m.Type == "" || m.Type == "message"))
		if assistant && !inAssistant {
			r.turnIndex++
			lastAssistantStart = i
		}
		inAssistant = assistant
		if m.Role == "system" || m.Role == "developer" {
			sys = append(sys, contentText(m.Content))
		} else {
			r.note(m)
		}
	}
	r.turnIndex += r.compacted
	if lastAssistantStart > 0 {
		r.cachedBytes = len(b.Instructions)
		for _, raw := range items[:lastAssistantStart] {
			r.cachedBytes += len(raw)
		}
	}
	r.system = strings.Join(sys, "\n")
	return r, nil
}

// contentText flattens a message content: a string or a list of parts with
// "text".
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		texts := make([]string, 0, len(parts))
		for _, p := range parts {
			texts = append(texts, p.Text)
		}
		return strings.Join(texts, "\n")
	}
	return ""
}

// usage estimates token counts: about 4 bytes per token.
type usage struct {
	input, cached, output int64
}

func (r request) usage(t Turn) usage {
	out := len(t.Text)
	for _, c := range t.ToolCalls {
		out += len(c.Name) + len(c.ArgumentsText())
	}
	u := usage{input: int64(r.inputBytes / 4), cached: int64(r.cachedBytes / 4), output: int64(out / 4)}
	if u.output == 0 {
		u.output = 1
	}
	if u.cached > u.input {
		u.cached = u.input
	}
	return u
}
