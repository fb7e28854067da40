package actors

import (
	"fmt"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
)

// FirstRequestOptions fill in what a role's first request carries besides
// the role itself. Zero fields get placeholders.
type FirstRequestOptions struct {
	// Address of the agent; default /root for the planner (the lead), else
	// /root/<role>.
	Address string
	// Task is the user's task (for /root) or the assign's task; default
	// "<task>".
	Task string
	// Project is the repository's AGENTS.md text; empty means none.
	Project string
}

// placeholderWorktree roots the file tools of FirstRequest: their specs do
// not depend on it.
const placeholderWorktree = "/worktree"

// FirstRequest returns exactly what an agent of the built-in role sends in
// its first model request: its instructions (with opts.Project as project
// instructions), its tools, and its first user item (the task, for /root;
// else the assign message from its parent). It is built by the same code
// as an agent's turns.
func FirstRequest(role string, opts FirstRequestOptions) (model.Request, error) {
	r, err := LookupRole(role)
	if err != nil {
		return model.Request{}, err
	}
	if opts.Address == "" {
		opts.Address = "/root"
		if role != "planner" {
			opts.Address += "/" + role
		}
	}
	addr, err := messaging.ParseAddress(opts.Address)
	if err != nil {
		return model.Request{}, fmt.Errorf("first request of %s: %w", role, err)
	}
	if opts.Task == "" {
		opts.Task = "<task>"
	}
	const run = "r-00000000-0000"
	a, err := newAgent(Config{Run: run, Address: addr, Role: r, Worktree: placeholderWorktree, Project: opts.Project})
	if err != nil {
		return model.Request{}, fmt.Errorf("first request of %s: %w", role, err)
	}
	at := time.Unix(0, 0).UTC()
	parent, isChild := addr.Parent()
	started := messaging.AgentStarted{Role: role, Task: opts.Task}
	if isChild {
		started.Parent = parent
	}
	events := []messaging.Event{messaging.NewEvent(run, addr, 1, at, started)}
	if isChild {
		env, err := messaging.NewEnvelope(run, parent, addr, 1, 1, at, messaging.Assign{Task: opts.Task})
		if err != nil {
			return model.Request{}, fmt.Errorf("first request of %s: %w", role, err)
		}
		events = append(events, messaging.NewEvent(run, addr, 1, at, messaging.MessageDelivered{Envelope: env, Via: messaging.ViaWake}))
	}
	if err := a.Restore(events); err != nil {
		return model.Request{}, fmt.Errorf("first request of %s: %w", role, err)
	}
	return a.request(), nil
}
