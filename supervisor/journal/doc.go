// Package journal owns cadre's event log: the append-only record of every
// run, kept in one bbolt file per state directory. It is the single source
// of truth for resume and for every view (progress lines, `cadre exec`
// JSONL, the dashboard, the run list).
//
// # What it owns
//
//   - The file and its lock. Open takes bbolt's exclusive file lock with a
//     timeout (1s by default) and then writes a sidecar file "<path>.owner"
//     naming the owner's pid and current run. A second process therefore
//     fails fast with a *LockedError ("state is locked by pid N (run r-...)")
//     instead of hanging.
//   - Sequence numbers. Each run's events are numbered from 1 without gaps,
//     in commit order. A messaging.Event counts only once its transaction has
//     committed (and been fsynced): Append returns the numbered events only
//     then, and subscribers see them only then.
//   - Group commit. One writer goroutine owns every append transaction; when
//     it starts a transaction it takes every pending Append and commits them
//     together, so concurrent callers share one fsync.
//   - Run summaries (the `cadre ls` lines), folded incrementally from the
//     events in the same transaction that records them.
//   - The on-disk schema, its version and its migrations.
//
// # Layout
//
//	meta                         schema_version, created
//	runs/<id>/events             8-byte big-endian seq -> event record
//	runs/<id>/by_agent/<address> seq -> empty (index for AgentEvents)
//	runs/<id>/agents             address -> seq of its first agent_started
//	runs/<id>  key "summary"     messaging.RunSummary JSON
//
// An event record (schema version 2, see record.go) is a binary header
// (type, agent, generation, time) followed by the payload's JSON, so that
// reading a run back parses no JSON. Version 1 stored each event as one
// JSON object; opening a version 1 file rewrites its records in the opening
// transaction (testdata/v1.db is such a file).
//
// # Lifecycle
//
//	Open ──► Append / reads / Subscribe ... ──► Close
//	             │
//	             └─ writer goroutine: take pending ─► one bbolt tx ─► commit
//	                ─► notify subscribers ─► wake the Append callers
//
// Close flushes pending appends, stops the writer, ends every subscription,
// removes the owner sidecar and releases the lock; it is idempotent.
//
// Reads (Events, AgentEvents, Subscribe) copy events out in chunks and call
// the caller's function outside any transaction, so a callback may Append.
package journal
