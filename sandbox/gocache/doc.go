// Package gocache implements a GOCACHEPROG program that layers a private,
// writable Go build cache over a shared, read-only one.
//
// Every cadre agent gets its own GOCACHE so that no agent can poison another
// agent's builds, but an empty cache makes the first build in a sandbox slow.
// This package lets the go command read the host's warm cache (the directory
// printed by `go env GOCACHE`, in Go's standard on-disk layout) without ever
// writing to it, while all new outputs go to the agent's private cache.
//
// The package owns:
//   - [Main], the cache program itself: it speaks the JSON protocol of
//     cmd/go/internal/cacheprog on stdin/stdout. A "get" looks in the upper
//     (private) directory first, then in the lower (read-only) one, and
//     answers with the path of the output file where it lies. A "put" writes
//     only to upper, atomically (temporary file + rename), in the same
//     layout as Go's own cache, so an upper can later serve as a lower.
//     Lower is never written to, and its files' times are never touched.
//   - [Env], the environment entries that point the go command at it.
//   - [ArgMarker], the first argument that makes the cadre binary run [Main].
//
// Use: the cadre binary's main checks os.Args[1] == ArgMarker and then calls
// Main(os.Args[2], os.Args[3], os.Stdin, os.Stdout); the supervisor adds
// Env(cadreExe, hostCache, agentCache) to the environment of commands run in
// the agent's sandbox. The sandbox must make lower readable and upper
// writable at the same (absolute) paths.
package gocache
