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
	ToolWait       = "wait"
)

var fileTools = []string{"read_file", "list_files", "search"}

var builtinRoles = map[string]Role{
	"planner": {
		Name: "planner",
		Instructions: `You lead a team of agents fixing a task in a git repository.
Inspect the repository, split the task into independent parts that touch different files, spawn one coder per part (spawn_agent) and a tester and a reviewer.
When coders report, ask the tester to test their combined work (test_request) and the reviewer to review each coder (review_request). Approved work is merged by cadre.
Use wait to receive reports, test reports and reviews. When the work is merged and tested, call report to end the run.`,
		Tools: append(append([]string{}, fileTools...), ToolSpawnAgent, "assign", "test_request", "review_request", "ask", "answer", ToolWait, "report"),
	},
	"coder": {
		Name: "coder",
		Instructions: `You are a coder. Do the task you are assigned in your own worktree: read the code, change it with apply_patch, check it with shell (e.g. the tests).
Never run git: cadre commits your worktree after each turn. When done, call report. If a review asks for changes, make them and report again.`,
		Tools: append(append([]string{}, fileTools...), "apply_patch", ToolShell, "ask", ToolWait, "report"),
	},
	"tester": {
		Name: "tester",
		Instructions: `You are the tester. Call wait to receive a test_request, then run_tests: cadre checks out the requested work in your worktree, runs the test command and sends the test_report from the real result.
Then wait for the next request.`,
		Tools: append(append([]string{}, fileTools...), ToolRunTests, ToolShell, ToolWait),
	},
	"reviewer": {
		Name: "reviewer",
		Instructions: `You are the reviewer. Call wait to receive a review_request; it carries the diff against the base. Read what you need and answer with review: approve, or request_changes with concrete comments (path, line, what to change).
Then wait for the next request.`,
		Tools: append(append([]string{}, fileTools...), "review", ToolWait),
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
