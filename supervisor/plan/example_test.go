package plan_test

import (
	"fmt"

	"github.com/cadre-dev/cadre/supervisor/plan"
)

func ExampleValidate() {
	p := plan.Plan{Subtasks: []plan.Subtask{
		{ID: "api", Description: "add the endpoint", Writes: []string{"pkg/**"}, DependsOn: []string{"cli"}},
		{ID: "cli", Description: "add the command", Writes: []string{"pkg/cli/*.go"}, DependsOn: []string{"api"}},
		{ID: "docs", Description: "document it", Writes: []string{"../docs/*.md"}},
	}}
	fmt.Println(plan.Validate(p))
	// Output:
	// invalid plan (3 problems):
	//   subtask "docs": glob "../docs/*.md" contains ".."; leases stay inside the repository
	//   cycle: api -> cli -> api
	//   leases overlap: "api" writes "pkg/**" and "cli" writes "pkg/cli/*.go" (both match "pkg/cli/x.go")
}

func ExampleOverlap() {
	for _, pair := range [][2]string{
		{"pkg/**", "pkg/cli/*.go"},
		{"**/*_test.go", "internal/*/x*.go"},
		{"pkg/api/**", "pkg/cli/**"},
	} {
		ex, ok, _ := plan.Overlap(pair[0], pair[1])
		fmt.Printf("%s & %s: %v %q\n", pair[0], pair[1], ok, ex)
	}
	// Output:
	// pkg/** & pkg/cli/*.go: true "pkg/cli/x.go"
	// **/*_test.go & internal/*/x*.go: true "internal/x/x_test.go"
	// pkg/api/** & pkg/cli/**: false ""
}

func ExampleMatch() {
	lease := []string{"pkg/cli/*.go", "docs/**"}
	for _, p := range []string{"pkg/cli/main.go", "pkg/cli/sub/x.go", "docs/a/b.md", "docs/../go.mod"} {
		fmt.Println(p, plan.Match(lease, p))
	}
	fmt.Printf("%q\n", plan.LeaseDirs(lease))
	// Output:
	// pkg/cli/main.go true
	// pkg/cli/sub/x.go false
	// docs/a/b.md true
	// docs/../go.mod false
	// ["docs" "pkg/cli"]
}

func ExampleSchedule() {
	s, err := plan.NewSchedule(plan.Plan{Subtasks: []plan.Subtask{
		{ID: "api", Description: "add the endpoint", Writes: []string{"pkg/api/**"}},
		{ID: "cli", Description: "add the command", Writes: []string{"pkg/cli/**"}, DependsOn: []string{"api"}},
	}})
	if err != nil {
		panic(err)
	}
	for !s.Done() {
		ready := s.Ready(4)
		fmt.Println("start", ready, "blocked", s.Blocked())
		for _, id := range ready {
			_ = s.Start(id)
		}
		for _, id := range ready { // each coder's work is reviewed and merged
			_ = s.Merged(id)
		}
	}
	fmt.Print(s)
	// Output:
	// start [api] blocked map[cli:[api]]
	// start [cli] blocked map[]
	// plan: 2 subtasks (2 merged)
	// api  merged   deps -    writes pkg/api/**
	// cli  merged   deps api  writes pkg/cli/**
}
