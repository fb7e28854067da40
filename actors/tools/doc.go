// Package tools owns the file tools an agent calls on its own worktree:
// apply_patch (edits), read_file, list_files and search (reads).
//
// Every tool is confined to one root directory, the agent's worktree. A path
// given by a model must be relative (or absolute but inside the root), must
// not climb out with "..", must not pass through a symbolic link that leads
// outside the root, and must not touch .git; otherwise the tool fails with
// ErrOutsideRoot and touches nothing. Resolved paths are then opened through
// an os.Root, so a symlink swapped in between the check and the use is still
// refused by the kernel-level walk.
//
// Each tool's parameters are one JSON Schema, embedded from schemas/. The same
// schema is shown to the model (Spec.Parameters) and checked against the
// arguments before the tool runs, so a malformed call comes back as an error
// wrapping messaging.ErrInvalid that the model can read and correct.
//
// apply_patch takes the "*** Begin Patch" format that OpenAI's coding models
// are trained on (see ParsePatch). A patch is all or nothing: every file's new
// content is computed before the first write, and a failed write rolls back
// the files already written.
//
// Tools never panic and never sleep; errors are returned for the caller to
// show to the model as the tool result.
package tools
