package plan

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// diamond: api; cli and web after api; docs after cli and web.
func diamond() Plan {
	return Plan{Subtasks: []Subtask{
		st("api", w("pkg/api/**")),
		st("cli", w("pkg/cli/**"), "api"),
		st("web", w("web/**"), "api"),
		st("docs", w("docs/**"), "cli", "web"),
		st("lint", w(".golangci.yml")),
	}}
}

func mustSchedule(t *testing.T, p Plan) *Schedule {
	t.Helper()
	s, err := NewSchedule(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantState(t *testing.T, s *Schedule, want map[string]State) {
	t.Helper()
	for id, ws := range want {
		if got, ok := s.State(id); !ok || got != ws {
			t.Errorf("%s: state %v (%v), want %v", id, got, ok, ws)
		}
	}
}

func TestScheduleRun(t *testing.T) {
	s := mustSchedule(t, diamond())
	if got := s.Ready(0); !slices.Equal(got, []string{"api", "lint"}) {
		t.Fatalf("Ready(0) = %q", got)
	}
	if got := s.Ready(1); !slices.Equal(got, []string{"api"}) {
		t.Fatalf("Ready(1) = %q", got)
	}
	wantBlocked := map[string][]string{"cli": {"api"}, "web": {"api"}, "docs": {"cli", "web"}}
	if got := s.Blocked(); !reflect.DeepEqual(got, wantBlocked) {
		t.Fatalf("Blocked = %v", got)
	}
	must(t, s.Start("api"))
	if got := s.Ready(1); got != nil {
		t.Fatalf("Ready(1) with one running = %q", got)
	}
	if got := s.Ready(2); !slices.Equal(got, []string{"lint"}) {
		t.Fatalf("Ready(2) = %q", got)
	}
	must(t, s.Start("lint"))
	must(t, s.Merged("api"))
	if got := s.Ready(3); !slices.Equal(got, []string{"cli", "web"}) {
		t.Fatalf("Ready(3) = %q", got)
	}
	if got := s.Ready(2); !slices.Equal(got, []string{"cli"}) {
		t.Fatalf("Ready(2) = %q", got)
	}
	must(t, s.Merged("lint"))
	must(t, s.Start("cli"))
	must(t, s.Start("web"))
	if got := s.Blocked(); !reflect.DeepEqual(got, map[string][]string{"docs": {"cli", "web"}}) {
		t.Fatalf("Blocked = %v", got)
	}
	must(t, s.Merged("web"))
	if got := s.Blocked(); !reflect.DeepEqual(got, map[string][]string{"docs": {"cli"}}) {
		t.Fatalf("Blocked = %v", got)
	}
	if s.Done() || s.Stuck() {
		t.Fatal("done or stuck too early")
	}
	must(t, s.Merged("cli"))
	if got := s.Ready(0); !slices.Equal(got, []string{"docs"}) {
		t.Fatalf("Ready = %q", got)
	}
	must(t, s.Start("docs"))
	must(t, s.Merged("docs"))
	if !s.Done() || s.Stuck() || len(s.Blocked()) != 0 || s.Ready(0) != nil {
		t.Fatal("not done at the end")
	}
}

func TestScheduleIllegalTransitions(t *testing.T) {
	s := mustSchedule(t, diamond())
	must(t, s.Start("api"))
	tests := []struct {
		name    string
		do      func() error
		errPart string
	}{
		{"start pending", func() error { return s.Start("cli") }, `subtask "cli" is pending (waiting on ["api"]), not ready`},
		{"start running", func() error { return s.Start("api") }, `subtask "api" is running, not ready`},
		{"merge ready", func() error { return s.Merged("lint") }, `subtask "lint" is ready, not running`},
		{"fail pending", func() error { return s.Failed("docs") }, `subtask "docs" is pending (waiting on ["cli" "web"]), not running`},
		{"unknown", func() error { return s.Start("nope") }, `no subtask "nope"`},
		{"merge twice", func() error { must(t, s.Merged("api")); return s.Merged("api") }, `subtask "api" is merged, not running`},
		{"fail merged", func() error { return s.Failed("api") }, `subtask "api" is merged, not running`},
		{"start failed", func() error { must(t, s.Start("lint")); must(t, s.Failed("lint")); return s.Start("lint") }, `subtask "lint" is failed, not ready`},
	}
	for _, tt := range tests {
		err := tt.do()
		if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), tt.errPart) {
			t.Errorf("%s: err = %v, want ErrState with %q", tt.name, err, tt.errPart)
		}
	}
	wantState(t, s, map[string]State{"api": Merged, "lint": Failed, "cli": Ready, "docs": Pending})
}

func TestScheduleStuck(t *testing.T) {
	s := mustSchedule(t, Plan{Subtasks: []Subtask{st("a", w("a")), st("b", w("b"), "a")}})
	must(t, s.Start("a"))
	must(t, s.Failed("a"))
	if !s.Stuck() || s.Done() {
		t.Fatal("not stuck after the only root failed")
	}
	if got := s.Blocked(); !reflect.DeepEqual(got, map[string][]string{"b": {"a"}}) {
		t.Fatalf("Blocked = %v", got)
	}
}

func TestNewScheduleValidates(t *testing.T) {
	_, err := NewSchedule(Plan{Subtasks: []Subtask{st("a", w("x"), "a")}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
}

func TestScheduleKeepsItsOwnCopy(t *testing.T) {
	p := diamond()
	s := mustSchedule(t, p)
	p.Subtasks[0].ID = "changed"
	p.Subtasks[1].DependsOn[0] = "changed"
	got := s.Plan()
	got.Subtasks[0].Writes[0] = "changed"
	if st, _ := s.Subtask("api"); st.Writes[0] != "pkg/api/**" {
		t.Fatal("schedule shares its plan")
	}
	if st, _ := s.Subtask("cli"); st.DependsOn[0] != "api" {
		t.Fatal("schedule shares the caller's plan")
	}
}

func TestRevise(t *testing.T) {
	s := mustSchedule(t, diamond())
	must(t, s.Start("api"))
	must(t, s.Merged("api"))
	must(t, s.Start("cli"))
	must(t, s.Start("lint"))
	must(t, s.Failed("lint"))
	rev := Plan{Reason: "split web, retry lint, drop docs", Subtasks: []Subtask{
		st("api", w("pkg/api/**")),
		st("cli", w("pkg/cli/**", "cmd/cadre/*.go"), "api"), // running: may gain globs
		st("web-ui", w("web/ui/**"), "api"),
		st("web-srv", w("web/srv/**"), "web-ui"),
		st("lint", w(".golangci.yml")),
	}}
	must(t, s.Revise(rev))
	if got := s.Plan().Revision; got != 1 {
		t.Fatalf("revision %d", got)
	}
	wantState(t, s, map[string]State{"api": Merged, "cli": Running, "web-ui": Ready, "web-srv": Pending, "lint": Ready})
	for _, gone := range []string{"web", "docs"} {
		if _, ok := s.State(gone); ok {
			t.Errorf("%s is still in the schedule", gone)
		}
	}
	if got := s.Ready(0); !slices.Equal(got, []string{"web-ui", "lint"}) {
		t.Fatalf("Ready = %q", got)
	}
	must(t, s.Merged("cli"))
	must(t, s.Revise(rev))
	if got := s.Plan().Revision; got != 2 {
		t.Fatalf("revision %d", got)
	}
	wantState(t, s, map[string]State{"api": Merged, "cli": Merged})
}

func TestReviseRefused(t *testing.T) {
	base := func(t *testing.T) *Schedule {
		s := mustSchedule(t, diamond())
		must(t, s.Start("api"))
		must(t, s.Merged("api"))
		must(t, s.Start("cli"))
		return s
	}
	tests := []struct {
		name string
		plan Plan
		want []string
	}{
		{"merged removed", Plan{Subtasks: []Subtask{st("cli", w("pkg/cli/**"))}},
			[]string{`subtask "api" is merged; it must stay in the plan`}},
		{"merged lease changed", Plan{Subtasks: []Subtask{st("api", w("pkg/api/*.go")), st("cli", w("pkg/cli/**"), "api")}},
			[]string{`subtask "api" is merged; its writes must stay ["pkg/api/**"]`}},
		{"running removed", Plan{Subtasks: []Subtask{st("api", w("pkg/api/**"))}},
			[]string{`subtask "cli" is running; it must stay in the plan`}},
		{"running lease shrunk", Plan{Subtasks: []Subtask{st("api", w("pkg/api/**")), st("cli", w("pkg/cli/main.go"), "api")}},
			[]string{`subtask "cli" is running; its writes must keep "pkg/cli/**"`}},
		{"running gains unmerged dep", Plan{Subtasks: []Subtask{st("api", w("pkg/api/**")), st("cli", w("pkg/cli/**"), "api", "x"), st("x", w("x"))}},
			[]string{`subtask "cli" is running; it cannot depend on "x", which is not merged`}},
		{"invalid and inconsistent", Plan{Subtasks: []Subtask{st("cli", w("pkg/**")), st("more", w("pkg/more/**"))}},
			[]string{
				`leases overlap: "cli" writes "pkg/**" and "more" writes "pkg/more/**" (both match "pkg/more/x")`,
				`subtask "api" is merged; it must stay in the plan`,
				`subtask "cli" is running; its writes must keep "pkg/cli/**"`,
			}},
		// Merged leases still count: a follow-up may not write the files
		// of a merged subtask unless both are shared.
		{"overlap with merged", Plan{Subtasks: []Subtask{st("api", w("pkg/api/**")), st("cli", w("pkg/cli/**"), "api"), st("fix", w("pkg/api/x.go"))}},
			[]string{`leases overlap: "api" writes "pkg/api/**" and "fix" writes "pkg/api/x.go" (both match "pkg/api/x.go")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base(t)
			before := s.String()
			err := s.Revise(tt.plan)
			var ie *InvalidError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &ie) {
				t.Fatalf("err = %v", err)
			}
			if !slices.Equal(ie.Problems, tt.want) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(ie.Problems, "\n"), strings.Join(tt.want, "\n"))
			}
			if s.String() != before {
				t.Fatal("a refused revision changed the schedule")
			}
		})
	}
}

func TestReviseMergedWritesAsSet(t *testing.T) {
	s := mustSchedule(t, Plan{Subtasks: []Subtask{st("a", w("x", "y"))}})
	must(t, s.Start("a"))
	must(t, s.Merged("a"))
	must(t, s.Revise(Plan{Subtasks: []Subtask{st("a", w("y", "x", "x")), st("b", w("z"), "a")}}))
	wantState(t, s, map[string]State{"a": Merged, "b": Ready})
}

func TestStateString(t *testing.T) {
	for st, want := range map[State]string{Pending: "pending", Ready: "ready", Running: "running", Merged: "merged", Failed: "failed", State(9): "state(9)"} {
		if got := st.String(); got != want {
			t.Errorf("%d: %q", st, got)
		}
	}
}

func TestRetryAFailedSubtask(t *testing.T) {
	s, err := NewSchedule(Plan{Subtasks: []Subtask{{ID: "a", Description: "a", Writes: []string{"a/**"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Retry("a"); !errors.Is(err, ErrState) {
		t.Fatalf("Retry of a pending subtask = %v, want ErrState", err)
	}
	if err := s.Start("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Failed("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Retry("a"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State("a"); st != Running {
		t.Fatalf("after Retry a is %s, want running", st)
	}
	if err := s.Merged("a"); err != nil || !s.Done() {
		t.Fatalf("Merged after Retry: %v, done %v", err, s.Done())
	}
}
