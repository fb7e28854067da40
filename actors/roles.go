package actors

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// Role is what an agent is for: its instructions and the tools it may call.
type Role struct {
	Name         string
	Instructions string
	Tools        []string
	// MaxTurns bounds the turns of an agent of this role (0: the run's).
	MaxTurns int
	// Max is how many agents of this role a run may have at once (0: no
	// limit of its own).
	Max int
}

// Roles are the roles a run's agents may have, by name.
type Roles map[string]Role

// BuiltinRoles returns a copy of the built-in roles: planner, coder, tester,
// reviewer and resolver.
func BuiltinRoles() Roles {
	out := make(Roles, len(builtinRoles))
	for n, r := range builtinRoles {
		r.Tools = append([]string(nil), r.Tools...)
		out[n] = r
	}
	return out
}

// Lookup returns the role called name; nil rs means the built-in roles.
func (rs Roles) Lookup(name string) (Role, error) {
	if rs == nil {
		return LookupRole(name)
	}
	r, ok := rs[name]
	if !ok {
		names := make([]string, 0, len(rs))
		for n := range rs {
			names = append(names, n)
		}
		sort.Strings(names)
		return Role{}, fmt.Errorf("unknown role %q (this team's roles: %s)", name, strings.Join(names, ", "))
	}
	return r, nil
}

// KnownTool reports whether name is a tool a role may list: a file tool,
// apply_patch, a team tool, submit_plan or a message kind.
func KnownTool(name string) bool {
	switch name {
	case "apply_patch", ToolShell, ToolRunTests, ToolSpawnAgent, ToolSubmitPlan, ToolWait:
		return true
	}
	for _, t := range fileTools {
		if t == name {
			return true
		}
	}
	_, err := messaging.SchemaOf(messaging.Kind(name))
	return err == nil
}

// Validate checks that a role is usable: a name, instructions, known tools.
func (r Role) Validate() error {
	if r.Name == "" {
		return errors.New("role without a name")
	}
	if strings.TrimSpace(r.Instructions) == "" {
		return fmt.Errorf("role %s: no instructions", r.Name)
	}
	for _, t := range r.Tools {
		if !KnownTool(t) {
			return fmt.Errorf("role %s: unknown tool %q", r.Name, t)
		}
	}
	return nil
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
		Instructions: `You are the tester. Call run_tests: it takes the next test_request (waiting for one if needed), tests the requested work and sends the test_report. Repeat.`,
		Tools:        append(append([]string{}, fileTools...), ToolRunTests, ToolShell, ToolWait),
	},
	"reviewer": {
		Name:         "reviewer",
		Instructions: `You are the reviewer. Call wait to receive a review_request (it carries the diff), read what you need, then answer with review; comments name the path, the line and what to change. Repeat.`,
		Tools:        append(append([]string{}, fileTools...), "review", ToolWait),
	},
	"resolver": {
		Name: "resolver",
		Instructions: `You resolve a merge conflict. Your worktree is the result branch with the conflicting work merged in; the files your task names hold conflict markers (<<<<<<<, =======, >>>>>>>).
Edit them so that both sides' intent is kept and the tests pass (check with shell), leave no marker, then call report: cadre then merges your resolution.`,
		Tools: append(append([]string{}, fileTools...), "apply_patch", ToolShell, ToolWait, "report"),
	},
	"review_lead": {
		Name: "review_lead",
		Instructions: `You review an existing branch: your worktree is that branch and your task holds its diff. Spawn a tester (spawn_agent, role tester) and send it a test_request for your own address to test the branch; read the code the diff touches.
Then call report: status done, and a summary that starts with your verdict (approve or request changes) followed by your comments, one per line as path:line: text.`,
		Tools: append(append([]string{}, fileTools...), ToolSpawnAgent, "test_request", ToolWait, "report"),
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
