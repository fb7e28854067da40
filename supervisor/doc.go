// Package supervisor owns runs: the actor system (protoactor-go) with one
// actor per agent address, spawning and supervision, the journal every event
// is appended to before it counts, the git side of every agent (worktrees,
// snapshot commits, test candidates, merges into the result branch), the
// limit on agents working at once, and message routing between agents.
//
// Data flows one way: commands come down from cmd/cadre into a Run, the Run
// spawns agent actors, agents act through the Host this package gives each
// of them, and every event goes up into the journal, from which views read.
//
// Lifecycle of a run:
//
//	Start: check repo ─► journal run_started ─► result branch at base ─► spawn /root
//	agents work; /root's report ─► finishing
//	finish: stop every actor ─► remove worktrees (branches stay) ─► journal run_finished
package supervisor
