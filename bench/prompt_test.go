package main

import (
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/actors"
)

// The prompt measure gives a row per built-in role and per wire API, and
// every request of its conversation repeats all of the previous prompt.
func TestMeasurePrompt(t *testing.T) {
	r, err := measurePrompt(quickConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Roles) != len(actors.RoleNames()) || len(r.Prefix) != 2 {
		t.Fatalf("%d roles, %d wires", len(r.Roles), len(r.Prefix))
	}
	for _, p := range r.Roles {
		if p.Bytes <= 0 || p.Tokens <= 0 || p.ToolsBytes <= 0 || p.ToolsBytes >= p.Bytes || p.InstrBytes <= 0 {
			t.Errorf("%+v", p)
		}
	}
	for _, p := range r.Prefix {
		if p.Requests != prefixTurns-1 || p.Min != p.IdealMin || p.Median != p.IdealMedian || p.PrevMin != 1 || p.Min <= 0 || p.Min > 1 {
			t.Errorf("%+v", p)
		}
	}
	rows := r.rows()
	if len(rows) != len(actors.RoleNames())+2 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, row := range rows {
		t.Logf("%s | %s | %s | %s | %s", row.measure, row.figure, row.reference, row.ratio, row.target)
		if strings.Contains(row.target, "MISSED") {
			t.Errorf("target missed: %+v", row)
		}
	}
}
