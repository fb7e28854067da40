// Package sandbox owns the confinement of every command an agent runs:
// the policy as data (Policy, Rules), the confined exec of one command
// (Runner), Landlock, Linux namespaces, resource limits, environment
// scrubbing, and — in sandbox/execpolicy — the exec-policy rules that decide
// whether a command may run at all. Restrictions are applied only to child
// processes, never to the supervisor.
//
// # Helper re-exec
//
// The supervisor never confines itself. A Runner starts its own executable
// again (os.Executable, or WithExecutable) with argv[1] set to a marker, in
// fresh user, mount, pid and (NetNone) network namespaces. That process must
// call HelperMain first thing: cmd/cadre's main does, and so must TestMain of
// every test binary that creates runners. HelperMain returns at once in any
// other process.
//
// # Lifecycle
//
//	supervisor                        helper (pid 1 of new user+mnt+pid+net ns)
//	──────────                        ─────────────────────────────────────────
//	New(policy) ── Rules(policy) ──┐
//	   Probe(): Landlock ≥ 3 and   │
//	   namespaces, else            │
//	   ErrUnavailable (fail closed)│
//	   start exec server ─────────►│ read Ruleset (fd 3)
//	   (or re-exec per command)    │ lo up · new root: tmpfs + bind mounts of
//	                               │   the rule paths only, fresh /proc, /dev nodes;
//	                               │   pivot_root (host /run, /tmp, $HOME vanish)
//	                               │ Landlock (fs rights, scoped abstract unix
//	                               │   sockets + signals), no_new_privs, drop to
//	                               │   the unprivileged uid (or caps + NOROOT)
//	                               │ report ready/setup error (fd 4)
//	Run(cmd) ── frame + fds ──────►│ fork shim ─► shim: setrlimit ─► exec argv
//	   capture merged output ◄─────│   (own process group, scrubbed env)
//	   (cap + marker, drain)       │ reap (pid 1), on timeout/kill: kill(-1)
//	   ◄── exit status ────────────│ everything left of the command is killed
//	Close() ──────────────────────►│ socket EOF → exit → namespace gone
//
// With WithReexec every Run starts a new helper that runs one command and
// exits (the namespace dies with it); the default (exec server, one helper
// per Runner) falls back to it when the server cannot start.
//
// # Ownership
//
// As root, the command runs as host uid/gid 65534 (WithHostID): the writable
// roots (worktree, leases, Writable) are chowned to it before each command,
// the PrivateDir once in New. A supervisor running git as root in such a
// worktree needs `-c safe.directory=*` (git refuses dirs owned by others). As a normal user, namespace root maps to the user's own uid and
// the command runs without capabilities.
//
// # Limits of the enforcement
//
// Landlock ABI < 9 does not check connect(2) on path-named unix sockets: a
// host socket is unreachable because it is not in the mount namespace, so
// readable roots must not contain host sockets. UDP and TCP isolation comes
// from the network namespace (NetNone); with NetHost, Landlock ABI ≥ 6 is
// required to scope abstract unix sockets.
package sandbox
