package messaging

import (
	"errors"
	"testing"
)

func TestPlanSchemaAndEventsGolden(t *testing.T) {
	s := PlanSchema()
	ok := `{"subtasks":[{"id":"a","description":"do a","writes":["a/**"]}]}`
	if err := s.Validate([]byte(ok)); err != nil {
		t.Fatalf("valid plan refused: %v", err)
	}
	for _, bad := range []string{`{}`, `{"subtasks":[]}`, `{"subtasks":[{"id":"a","description":"x"}]}`, `{"subtasks":[{"id":"A b","description":"x","writes":["a"]}]}`} {
		if err := s.Validate([]byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate(%s) = %v, want ErrInvalid", bad, err)
		}
	}
	at := mustTime("2026-11-23T07:00:00Z")
	golden(t, "event_plan_submitted", NewEvent("r-20261123-ab12", Root, 1, at, PlanSubmitted{Revision: 1, Plan: []byte(ok)}))
	golden(t, "event_conflict_forecast", NewEvent("r-20261123-ab12", MustParseAddress("/root/coder_a"), 1, at,
		ConflictForecast{Commit: "c0de", With: "/root/coder_b", Paths: []string{"calc.go"}}))
}
