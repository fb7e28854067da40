package config

import "testing"

func TestClosest(t *testing.T) {
	keys := []string{"model", "model_provider", "approval_policy", "sandbox_mode", "notify"}
	tests := []struct{ in, want string }{
		{"modle", "model"}, // a swap is one edit
		{"mode", "model"},  // a deletion
		{"model_providr", "model_provider"},
		{"aproval_policy", "approval_policy"},
		{"sandbox", "sandbox_mode"}, // a prefix
		{"sandbox_mod_x", "sandbox_mode"},
		{"approval", "approval_policy"},
		{"mod", "model"},
		{"xy", ""},
		{"colour", ""},
		{"model", ""}, // itself is not a suggestion
	}
	for _, tt := range tests {
		if got := closest(tt.in, keys); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitKey(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"model", []string{"model"}, true},
		{"limits.max_turns", []string{"limits", "max_turns"}, true},
		{`budgets."/root/coder_a".tokens`, []string{"budgets", "/root/coder_a", "tokens"}, true},
		{`prices."gpt-4.1".input_per_mtok`, []string{"prices", "gpt-4.1", "input_per_mtok"}, true},
		{"", nil, false},
		{"a..b", nil, false},
		{"a.", nil, false},
		{`a."b`, nil, false},
		{`a."b"c`, nil, false},
	}
	for _, tt := range tests {
		got, err := splitKey(tt.in)
		if (err == nil) != tt.ok || len(got) != len(tt.want) {
			t.Errorf("splitKey(%q) = %q, %v", tt.in, got, err)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("splitKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		}
	}
}
