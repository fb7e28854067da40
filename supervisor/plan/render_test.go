package plan

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if !bytes.Equal([]byte(got), want) {
		t.Fatalf("%s differs from golden:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func renderPlan() Plan {
	p := diamond()
	p.Subtasks[0].Title = "HTTP API for runs"
	p.Subtasks[1].Writes = append(p.Subtasks[1].Writes, "cmd/cadre/show.go")
	p.Subtasks[3].Shared = true
	p.Subtasks[3].Title = "user guide,\n  section on plans"
	p.Subtasks = append(p.Subtasks, Subtask{ID: "odd-names", Description: "x", Writes: w("assets/my file.txt", `q"uote`), Shared: true})
	return p
}

func TestRenderGolden(t *testing.T) {
	p := renderPlan()
	golden(t, "render_plan", p.String())

	s := mustSchedule(t, p)
	must(t, s.Start("api"))
	must(t, s.Merged("api"))
	must(t, s.Start("cli"))
	must(t, s.Start("lint"))
	must(t, s.Failed("lint"))
	golden(t, "render_schedule", s.String())

	rev := s.Plan()
	rev.Reason = "drop the web part:\nnot needed"
	rev.Subtasks = append(rev.Subtasks[:2], rev.Subtasks[3:]...) // no web
	rev.Subtasks[2].DependsOn = []string{"cli"}
	must(t, s.Revise(rev))
	golden(t, "render_revised", Render(s.Plan(), s))

	one := Plan{Subtasks: []Subtask{st("only", w("x"))}}
	golden(t, "render_one", Render(one, nil))
}

// Render is stable: the same input gives the same text.
func TestRenderStable(t *testing.T) {
	p := renderPlan()
	if Render(p, nil) != Render(p, nil) {
		t.Fatal("render is not stable")
	}
}
