package worktree

import "errors"

// Sentinel errors. Returned errors wrap them with context; test with errors.Is.
var (
	// ErrNotFound: the repository path does not exist.
	ErrNotFound = errors.New("path does not exist")
	// ErrNotRepo: the path exists but is not inside a git work tree.
	ErrNotRepo = errors.New("not a git work tree")
	// ErrBareRepo: the path is a bare repository, which has no work tree.
	ErrBareRepo = errors.New("bare repository")
	// ErrNoCommits: the repository has no commit yet (HEAD is unborn).
	ErrNoCommits = errors.New("repository has no commits")
	// ErrWorktreeConfig: go-git v5 cannot open a repository with
	// extensions.worktreeConfig; cadre then uses the git CLI for reads.
	ErrWorktreeConfig = errors.New("go-git v5 cannot open a repository with extensions.worktreeConfig")
	// ErrConflict: a merge has conflicts; nothing was written.
	ErrConflict = errors.New("merge conflict")
	// ErrNoConflict: ConflictCommit was asked for two commits that merge cleanly.
	ErrNoConflict = errors.New("the merge has no conflict")
	// ErrBranchExists: the branch already exists at another commit.
	ErrBranchExists = errors.New("branch already exists")
	// ErrNoBranch: the branch does not exist.
	ErrNoBranch = errors.New("no such branch")
	// ErrBranchInUse: the branch is checked out in a worktree, so it cannot
	// be moved, merged into, deleted or checked out a second time.
	ErrBranchInUse = errors.New("branch is checked out")
	// ErrNotWorktree: a path is not a linked worktree of this repository.
	ErrNotWorktree = errors.New("not a linked worktree of this repository")
	// ErrUnmerged: a branch to delete is neither merged nor archived.
	ErrUnmerged = errors.New("branch is not merged or archived")
	// ErrInvalidName: a branch, run id or revision is not acceptable.
	ErrInvalidName = errors.New("invalid name")
	// ErrUnknownRevision: a revision names no commit.
	ErrUnknownRevision = errors.New("unknown revision")
	// ErrRefMoved: a ref changed between reading and updating it.
	ErrRefMoved = errors.New("ref changed concurrently")
)
