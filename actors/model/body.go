package model

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/openai/openai-go/v3/option"
)

// placeholderBaseURL stands in for a missing Config.BaseURL in
// [RequestBody]: the body does not depend on where it would be sent.
const placeholderBaseURL = "http://localhost/v1"

var errCaptured = errors.New("model: request captured, not sent")

// RequestBody returns the HTTP JSON body a [Client] built from cfg would
// send for req, byte for byte, without sending anything: it runs the
// client's own request building and stops the request at the transport.
// An empty cfg.BaseURL is allowed.
func RequestBody(cfg Config, req Request) ([]byte, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = placeholderBaseURL
	}
	cfg.MaxAttempts = 1
	cl, err := New(cfg)
	if err != nil {
		return nil, err
	}
	c := cl.(*client)
	prepared, err := c.prepare(req)
	if err != nil {
		return nil, err
	}
	var body []byte
	capture := func(r *http.Request, _ option.MiddlewareNext) (*http.Response, error) {
		if r.Body == nil {
			return nil, errCaptured
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, fmt.Errorf("model: read request body: %w", err)
		}
		body = b
		return nil, errCaptured
	}
	_, err = prepared(context.Background(), option.WithMiddleware(capture))
	if body == nil {
		if err == nil {
			err = errors.New("no request was built")
		}
		return nil, fmt.Errorf("model: build request body: %w", err)
	}
	return body, nil
}

// PromptPrefix measures how much of the prompt in body cur repeats the
// prompt in body prev, the previous request of the same agent on the same
// wire API. Provider prompt caches match the prompt as they render it, a
// sequence of parts, not the JSON text (where the conversation array comes
// before the tools), so a request's prompt is taken as this sequence of
// JSON values, each byte for byte as it appears in the body:
//
//   - chat:      the "tools" array, then each element of "messages" (the
//     system message first);
//   - responses: the "tools" array, the "instructions" string, then each
//     element of "input".
//
// common is the byte size of the longest run of leading parts of cur equal
// to the same parts of prev, total the byte size of all parts of cur. A
// request whose prompt starts with the whole previous prompt has
// common = the previous total. Any other body field that differs from prev
// (model, stream options, store, ...) is reported as an error: it would
// change the request without being part of the prompt.
func PromptPrefix(wire WireAPI, prev, cur []byte) (common, total int, err error) {
	pp, prest, err := promptParts(wire, prev)
	if err != nil {
		return 0, 0, fmt.Errorf("previous request: %w", err)
	}
	cp, crest, err := promptParts(wire, cur)
	if err != nil {
		return 0, 0, fmt.Errorf("request: %w", err)
	}
	if !bytes.Equal(prest, crest) {
		return 0, 0, fmt.Errorf("model: fields outside the prompt differ: %s vs %s", prest, crest)
	}
	same := true
	for i, p := range cp {
		total += len(p)
		if same && i < len(pp) && bytes.Equal(p, pp[i]) {
			common += len(p)
			continue
		}
		same = false
	}
	return common, total, nil
}

// promptParts splits a request body into its prompt parts (see
// [PromptPrefix]) and the other fields, re-encoded with sorted keys.
func promptParts(wire WireAPI, body []byte) (parts [][]byte, rest []byte, err error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, nil, fmt.Errorf("model: request body is not a JSON object: %w", err)
	}
	convKey := "input"
	if wire == WireChat {
		convKey = "messages"
	}
	parts = append(parts, fields["tools"])
	delete(fields, "tools")
	if wire != WireChat {
		parts = append(parts, fields["instructions"])
		delete(fields, "instructions")
	}
	var conv []json.RawMessage
	if raw, ok := fields[convKey]; ok {
		if err := json.Unmarshal(raw, &conv); err != nil {
			return nil, nil, fmt.Errorf("model: %s is not an array: %w", convKey, err)
		}
	}
	delete(fields, convKey)
	for _, m := range conv {
		parts = append(parts, m)
	}
	rest, err = json.Marshal(fields)
	if err != nil {
		return nil, nil, fmt.Errorf("model: re-encode request fields: %w", err)
	}
	return parts, rest, nil
}
