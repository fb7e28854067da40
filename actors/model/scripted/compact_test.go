package scripted_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/actors/model/scripted"
)

// After a compaction the header's count is added to the assistant turns
// still in the conversation; a compact request gets a summary, not a turn.
func TestCompactionKeepsTurnCount(t *testing.T) {
	script := `{"agents":{"/root":[{"text":"t0"},{"text":"t1"},{"text":"t2"},{"text":"t3"},{"text":"t4"},{"text":"t5"}]}}`
	compacted := []model.Item{
		{Role: model.RoleUser, Text: "[cadre: 3 earlier turns compacted]\nSummary of the conversation before this point:\nread a.go"},
		{Role: model.RoleAssistant, ToolCalls: []model.ToolCall{{ID: "a", Name: "read_file", Arguments: "{}"}}},
		{Role: model.RoleTool, CallID: "a", Text: "line one\nline two"},
	}
	tests := []struct {
		name     string
		purpose  string
		input    []model.Item
		wantText string
		wantTurn int
	}{
		{"compacted conversation", "", compacted, "t4", 4},
		{"header not first", "", append([]model.Item{{Role: model.RoleUser, Text: "task"}}, compacted...), "t1", 1},
		{"one earlier turn", "", []model.Item{{Role: model.RoleUser, Text: "[cadre: 1 earlier turn compacted]\n..."}}, "t1", 1},
		{"summary request", scripted.PurposeCompact, append(append([]model.Item(nil), compacted...), model.Item{Role: model.RoleUser, Text: "Summarize."}),
			`scripted summary of 3 items (4 assistant turns); last tool results: "line one"`, 4},
	}
	for _, wire := range wires {
		for _, tt := range tests {
			t.Run(string(wire)+"/"+tt.name, func(t *testing.T) {
				srv, base := startServer(t, script)
				turn, err := newClient(t, base, wire, nil).Turn(context.Background(), model.Request{Agent: "/root", Purpose: tt.purpose, Input: tt.input})
				if err != nil {
					t.Fatal(err)
				}
				if turn.Text != tt.wantText || turn.Usage.InputTokens == 0 {
					t.Errorf("text %q usage %+v, want %q", turn.Text, turn.Usage, tt.wantText)
				}
				if log := srv.Log(); len(log) != 1 || log[0].Turn != tt.wantTurn || log[0].Purpose != tt.purpose {
					t.Errorf("log %+v", log)
				}
			})
		}
	}
}

func TestContextWindowRefusesLongRequests(t *testing.T) {
	for _, wire := range wires {
		t.Run(string(wire), func(t *testing.T) {
			_, base := startServer(t, `{"context_window":100,"agents":{"/root":[{"text":"t0"}]}}`)
			c := newClient(t, base, wire, nil)
			short := model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: "hi"}}}
			if _, err := c.Turn(context.Background(), short); err != nil {
				t.Fatalf("short request: %v", err)
			}
			long := model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: strings.Repeat("word ", 100)}}}
			_, err := c.Turn(context.Background(), long)
			var perr *model.ProviderError
			if !errors.As(err, &perr) || perr.Status != 400 || !strings.Contains(perr.Message, "maximum context length is 100 tokens") || model.Unavailable(err) {
				t.Fatalf("long request: %v", err)
			}
		})
	}
	if _, err := scripted.ParseScript([]byte(`{"context_window":-1,"agents":{"/root":[{"text":"t"}]}}`)); !errors.Is(err, scripted.ErrScript) {
		t.Errorf("negative window: %v", err)
	}
}
