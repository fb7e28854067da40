package model_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/actors/model"
)

func bodyRequest() model.Request {
	return model.Request{
		Agent: "/root/coder_a", Role: "coder", Purpose: model.PurposeCompact, Instructions: "address: /root/coder_a\nrole: coder",
		Input: []model.Item{
			{Role: model.RoleUser, Text: "Fix add.go"},
			{Role: model.RoleAssistant, Text: "Looking.", ToolCalls: []model.ToolCall{{ID: "call_1", Name: "read_file", Arguments: `{"path":"add.go"}`}}},
			{Role: model.RoleTool, CallID: "call_1", Text: "package add"},
		},
		Tools: []model.Tool{{Name: "read_file", Description: "Read a file.", Parameters: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`)}},
	}
}

// RequestBody builds, without sending, the very body the client sends; the
// purpose travels as a header.
func TestRequestBodyIsWhatTheClientSends(t *testing.T) {
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			rec := &recorder{next: scriptedHandler(t, `{"agents":{"/root/coder_a":[{"text":"a"}]}}`)}
			ts := httptest.NewServer(rec)
			defer ts.Close()
			cfg := model.Config{BaseURL: ts.URL + "/v1", Model: "gpt-5", WireAPI: wire}
			turn, err := mustNew(t, cfg).Turn(context.Background(), bodyRequest())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(turn.Text, "scripted summary of ") {
				t.Errorf("a compact request got %q, not a summary", turn.Text)
			}
			sent := rec.all()[0]
			if got := sent.header.Get("X-Cadre-Purpose"); got != model.PurposeCompact {
				t.Errorf("X-Cadre-Purpose = %q", got)
			}
			cfg.BaseURL = "" // not needed to build a body
			body, err := model.RequestBody(cfg, bodyRequest())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, sent.body) {
				t.Errorf("RequestBody:\n%s\nsent:\n%s", body, sent.body)
			}
		})
	}
}

func TestRequestBodyErrors(t *testing.T) {
	if _, err := model.RequestBody(model.Config{}, bodyRequest()); err == nil || !strings.Contains(err.Error(), "model is missing") {
		t.Errorf("no model: %v", err)
	}
	bad := bodyRequest()
	bad.Input = append(bad.Input, model.Item{Role: "robot"})
	if _, err := model.RequestBody(model.Config{Model: "m"}, bad); err == nil || !strings.Contains(err.Error(), `unknown role "robot"`) {
		t.Errorf("bad item: %v", err)
	}
}

func TestPromptPrefix(t *testing.T) {
	body := func(wire model.WireAPI, mutate func(*model.Request)) []byte {
		req := bodyRequest()
		mutate(&req)
		b, err := model.RequestBody(model.Config{Model: "m", WireAPI: wire}, req)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	same := func(*model.Request) {}
	grown := func(r *model.Request) {
		r.Input = append(r.Input, model.Item{Role: model.RoleAssistant, Text: "done"})
	}
	edited := func(r *model.Request) {
		r.Input = append([]model.Item(nil), r.Input...)
		r.Input[2].Text = "package add // changed"
	}
	otherTools := func(r *model.Request) { r.Tools = append(r.Tools, model.Tool{Name: "x"}) }
	otherInstr := func(r *model.Request) { r.Instructions += "." }
	tests := []struct {
		name        string
		prev, cur   func(*model.Request)
		full, zero  bool // common = all of prev / common = 0
		errContains string
	}{
		{name: "same", prev: same, cur: same, full: true},
		{name: "grown", prev: same, cur: grown, full: true},
		{name: "earlier item edited", prev: same, cur: edited},
		{name: "tools changed", prev: same, cur: otherTools, zero: true},
		{name: "instructions changed", prev: same, cur: otherInstr},
		{name: "max tokens changed", prev: same, cur: func(r *model.Request) { r.MaxOutputTokens = 10 }, errContains: "outside the prompt"},
	}
	for _, wire := range wires {
		for _, tt := range tests {
			t.Run(string(wire)+"/"+tt.name, func(t *testing.T) {
				prev, cur := body(wire, tt.prev), body(wire, tt.cur)
				_, prevTotal, err := model.PromptPrefix(wire, prev, prev)
				if err != nil {
					t.Fatal(err)
				}
				common, total, err := model.PromptPrefix(wire, prev, cur)
				if tt.errContains != "" {
					if err == nil || !strings.Contains(err.Error(), tt.errContains) {
						t.Fatalf("err = %v", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case tt.full && common != prevTotal, tt.zero && common != 0, !tt.full && !tt.zero && (common == 0 || common >= prevTotal):
					t.Fatalf("common %d of previous %d (total %d)", common, prevTotal, total)
				}
				if total < common || total == 0 {
					t.Fatalf("total %d, common %d", total, common)
				}
			})
		}
	}
}
