package model

import (
	"math"
	"testing"
)

func TestCost(t *testing.T) {
	tests := []struct {
		model           string
		in, cached, out int64
		want            float64
	}{
		{"gpt-5", 1_000_000, 0, 0, 1.25},
		{"gpt-5", 1_000_000, 1_000_000, 0, 0.125},
		{"gpt-5", 0, 0, 1_000_000, 10},
		{"gpt-4.1-2025-04-14", 2_000_000, 0, 1_000_000, 12},
		{"cadre-scripted", 1_000_000, 0, 1_000_000, 0},
		{"qwen2.5-coder:7b", 5, 0, 5, 0},
	}
	for _, tt := range tests {
		if got := Cost(tt.model, tt.in, tt.cached, tt.out); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Cost(%s, %d, %d, %d) = %v, want %v", tt.model, tt.in, tt.cached, tt.out, got, tt.want)
		}
	}
}
