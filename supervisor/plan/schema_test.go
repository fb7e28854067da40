package plan

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/messaging"
)

// The plan tool's schema (messaging/schemas/plan.json) and these types
// describe the same fields, and what the schema accepts decodes into a Plan.
func TestSchemaMatchesTypes(t *testing.T) {
	raw, err := os.ReadFile("../../messaging/schemas/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := messaging.CompileSchema("plan", raw)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	must(t, json.Unmarshal(raw, &doc))
	var sub struct {
		Items struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		} `json:"items"`
	}
	must(t, json.Unmarshal(doc.Properties["subtasks"], &sub))

	// The model sets every field of Plan but Revision, and every field of
	// Subtask.
	planFields := jsonFields(reflect.TypeFor[Plan]())
	delete(planFields, "revision")
	if got, want := sortedKeys(doc.Properties), sortedKeys(planFields); !slices.Equal(got, want) {
		t.Errorf("plan properties %q, fields %q", got, want)
	}
	subFields := jsonFields(reflect.TypeFor[Subtask]())
	if got, want := sortedKeys(sub.Items.Properties), sortedKeys(subFields); !slices.Equal(got, want) {
		t.Errorf("subtask properties %q, fields %q", got, want)
	}
	for _, r := range sub.Items.Required {
		if omit := subFields[r]; omit {
			t.Errorf("required %q is omitempty", r)
		}
	}

	good := `{"subtasks":[{"id":"api","title":"API","description":"add the endpoint","depends_on":[],"writes":["pkg/api/**"],"shared":false,"check":"go test ./pkg/api/"},
		{"id":"cli","description":"add the command","depends_on":["api"],"writes":["pkg/cli/*.go"]}],"reason":"first plan"}`
	must(t, s.Validate([]byte(good)))
	var p Plan
	must(t, json.Unmarshal([]byte(good), &p))
	must(t, Validate(p))
	if p.Reason != "first plan" || p.Subtasks[1].DependsOn[0] != "api" || p.Subtasks[0].Check == "" {
		t.Fatalf("decoded %+v", p)
	}

	for _, tt := range []struct{ args, errPart string }{
		{`{}`, "missing property 'subtasks'"},
		{`{"subtasks":[]}`, "at /subtasks"},
		{`{"subtasks":[{"id":"Api","description":"x","writes":["a"]}]}`, "at /subtasks/0/id"},
		{`{"subtasks":[{"id":"a","description":"x"}]}`, "missing property 'writes'"},
		{`{"subtasks":[{"id":"a","description":"","writes":["a"]}]}`, "at /subtasks/0/description"},
		{`{"subtasks":[{"id":"a","description":"x","writes":[]}]}`, "at /subtasks/0/writes"},
		{`{"subtasks":[{"id":"a","description":"x","writes":["a"],"files":[]}]}`, "additional properties 'files'"},
		{`{"subtasks":[{"id":"a","description":"x","writes":["a"]}],"revision":3}`, "additional properties 'revision'"},
	} {
		err := s.Validate([]byte(tt.args))
		if !errors.Is(err, messaging.ErrInvalid) || !strings.Contains(err.Error(), tt.errPart) {
			t.Errorf("%s: err = %v, want %q", tt.args, err, tt.errPart)
		}
	}
}

func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = strings.Contains(opts, "omitempty")
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
