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

func TestPricesWith(t *testing.T) {
	table := DefaultPrices.With(map[string]Price{"gpt-5": {Input: 2, Output: 20}, "my-local": {Input: 0.1, Output: 0.1}})
	if got := table.Cost("gpt-5", 1_000_000, 0, 1_000_000); math.Abs(got-22) > 1e-9 {
		t.Errorf("overridden gpt-5 costs %v, want 22", got)
	}
	if got := table.Cost("my-local-2026-01-01", 1_000_000, 0, 0); math.Abs(got-0.1) > 1e-9 {
		t.Errorf("added model costs %v, want 0.1", got)
	}
	if got := Cost("gpt-5", 1_000_000, 0, 1_000_000); math.Abs(got-11.25) > 1e-9 {
		t.Errorf("With changed the default table: gpt-5 costs %v", got)
	}
}
