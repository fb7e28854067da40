package messaging

import (
	"encoding/json"
	"sync"
)

// The plan a planner submits is not a message to another agent: it goes to
// the supervisor, which validates it (supervisor/plan), journals it and
// schedules its subtasks. Its arguments' schema lives with the others.

var planSchema = sync.OnceValue(func() *Schema {
	raw, err := schemaFiles.ReadFile("schemas/plan.json")
	if err != nil {
		panic("messaging: schema of plans: " + err.Error())
	}
	return MustCompileSchema("submit_plan", raw)
})

// PlanSchema is the JSON Schema of a submitted plan (the submit_plan tool's
// parameters).
func PlanSchema() *Schema { return planSchema() }

// Plan event types.
const (
	EvPlanSubmitted    EventType = "plan_submitted"
	EvConflictForecast EventType = "conflict_forecast"
)

// PlanSubmitted records a plan (or a revision) the supervisor accepted.
// Plan is the plan as JSON (supervisor/plan.Plan, with its revision).
type PlanSubmitted struct {
	Revision int             `json:"revision"`
	Plan     json.RawMessage `json:"plan"`
}

// ConflictForecast: merging the event agent's branch with With (the result
// branch, or another agent's branch) would conflict in Paths. Found after a
// snapshot, before anyone asks for the merge.
type ConflictForecast struct {
	Commit string   `json:"commit"`
	With   string   `json:"with"`
	Paths  []string `json:"paths"`
}

func (PlanSubmitted) EventType() EventType    { return EvPlanSubmitted }
func (ConflictForecast) EventType() EventType { return EvConflictForecast }
