// Package actors owns the agent: its role, its conversation with a model,
// the loop that turns model turns into tool calls and messages, and the
// tools a role may call. It knows nothing of the actor system, the journal
// or git: everything with a side effect outside its worktree goes through
// the Host interface, which the supervisor implements.
//
// An agent's state is a fold over its own journal events: every step is
// recorded through Host.Record before it counts, and Restore rebuilds the
// conversation from those events after a crash or a restart.
//
// Every request of an agent repeats the previous one as a prefix, so that
// provider prompt caches serve it, until a compaction (compact.go) replaces
// the older turns with a summary once the input nears the model's window.
// FirstRequest shows what a role's first request carries.
//
// Lifecycle of one agent:
//
//	spawned ──► idle ──(message)──► working: [compaction] → model turn → tool calls → …
//	              ▲                     │ report / final text
//	              └─────────────────────┘
//	working ──(turn limit, model keeps failing)──► failed
//	any     ──(ctx cancelled: run ends)──► stopped
package actors
