package actors

import (
	"fmt"
	"sort"
	"strings"
)

// Role is what an agent is for: its instructions and the tools it may call.
type Role struct {
	Name         string
	Instructions string
	Tools        []string
}

// Tool names beyond the file tools and the message kinds.
const (
	ToolShell      = "shell"
	ToolRunTests   = "run_tests"
	ToolSpawnAgent = "spawn_agent"
	ToolSubmitPlan = "submit_plan"
	ToolWait       = "wait"
)

var fileTools = []string{"read_file", "list_files", "search"}

var builtinRoles = map[string]Role{
	"planner": {
		Name: "planner",
		Instructions: `You lead a team of agents on a task in a git repository.
Read the code, split the task into independent parts that touch different files, and spawn one coder per part, a tester and a reviewer.
For several parts, first submit_plan (subtasks, dependencies, the files each may write), then spawn each coder with its subtask once submit_plan or a merge says it is ready.
When coders report, send the tester a test_request for their combined work and the reviewer a review_request for each coder; cadre merges approved work.
When the work is merged and tested, call report: it ends the run.`,
		Tools: append(append([]string{}, fileTools...), ToolSubmitPlan, ToolSpawnAgent, "assign", "test_request", "review_request", "ask", "answer", ToolWait, "report"),
	},
	"coder": {
		Name: "coder",
		Instructions: `You are a coder. Do your task in your worktree: read the code, change it with apply_patch, check it with shell (e.g. the tests).
Never run git: cadre commits your worktree after each turn. When done, call report; if a review asks for changes, make them and report again.`,
		Tools: append(append([]string{}, fileTools...), "apply_patch", ToolShell, "ask", ToolWait, "report"),
	},
	"tester": {
		Name:         "tester",
		Instructions: `You are the tester. Call wait to receive a test_request, then run_tests, which tests the requested work and sends the test_report. Repeat.`,
		Tools:        append(append([]string{}, fileTools...), ToolRunTests, ToolShell, ToolWait),
	},
	"reviewer": {
		Name:         "reviewer",
		Instructions: `You are the reviewer. Call wait to receive a review_request (it carries the diff), read what you need, then answer with review; comments name the path, the line and what to change. Repeat.`,
		Tools:        append(append([]string{}, fileTools...), "review", ToolWait),
	},
}

// LookupRole returns a built-in role by name.
func LookupRole(name string) (Role, error) {
	r, ok := builtinRoles[name]
	if !ok {
		return Role{}, fmt.Errorf("unknown role %q (known: %s)", name, strings.Join(RoleNames(), ", "))
	}
	return r, nil
}

// RoleNames lists the built-in roles, sorted.
func RoleNames() []string {
	names := make([]string, 0, len(builtinRoles))
	for n := range builtinRoles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
