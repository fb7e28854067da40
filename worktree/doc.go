// Package worktree owns every git mutation cadre makes on the user's
// repository: creating, listing and removing the linked worktree of each
// agent, snapshot commits of an agent's changes, diffs, merges into a result
// branch without any checkout, archiving branch tips under refs/cadre/archive
// and guarded branch deletion.
//
// Agents never run git themselves; the supervisor does, through a *Repo.
//
// # How git is driven
//
// Reads that go-git v5 does well (the HEAD of the user's work tree, resolving
// full ref names and object ids) happen in process. Everything go-git lacks
// (linked worktrees, three-way merges with `git merge-tree --write-tree`) or
// does more slowly uses the git CLI, and every CLI call goes through the small
// [Git] interface so that tests can fake it. The default [ExecGit] is
// hermetic: it strips GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE and every other
// inherited GIT_* variable except a short allowlist, runs with LC_ALL=C, and
// passes -c commit.gpgsign=false -c core.hooksPath=/dev/null (and disables
// auto gc and fsmonitor) so that no hook, signing prompt or daemon of the
// user's configuration runs for a supervisor commit. Author and committer are
// always given through the environment ([Author]).
//
// go-git v5 cannot open a repository whose config sets
// extensions.worktreeConfig (or any other extension it does not know). Open
// detects this and falls back to the CLI for every read; [Repo.InProcess]
// reports the reason, wrapping [ErrWorktreeConfig].
//
// # Lifecycle of an agent's worktree
//
//	Open(repo) ─► Add(dir, branch, base)          worktree + new branch (or resume)
//	               │
//	               ├─► Snapshot(w, author, msg)    after each turn that changed files
//	               ├─► Diff / ChangedFiles         for reviews and the dashboard
//	               ├─► Merge(result, branch)       approved work, no checkout
//	               └─► Remove(dir)                 the branch stays
//	Archive(branch, run) ─► DeleteBranch(branch)   refused unless merged or archived
//
// The user's own work tree and index are never touched: status is read with
// --no-optional-locks, worktrees have their own index, and merges only move
// refs of branches that are checked out nowhere.
//
// # Concurrency
//
// A *Repo is safe for concurrent use. Operations that move a branch (Add,
// Snapshot, Merge, CreateBranch, Archive, DeleteBranch) hold a per-branch lock
// inside the process, and every ref update is guarded by its expected old
// value, so that a concurrent writer outside the process makes the update
// fail instead of being lost.
package worktree
