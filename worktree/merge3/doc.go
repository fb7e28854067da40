// Package merge3 forecasts and performs three-way merges of two commits in
// memory, with go-git, the way `git merge-tree --write-tree` (git 2.39, the
// "ort" strategy) does, without a work tree, an index or a child process.
//
// It owns: finding the merge base(s) of two commits and merging several of
// them into a virtual base as ort does; the tree-level merge (one side
// unchanged, both sides the same, added, deleted, modify/delete,
// file/directory, distinct types, executable bit); and the line-level
// content merge, a reimplementation of git's xdiff merge (histogram diff,
// XDL_MERGE_ZEALOUS, default conflict style) so that clean/conflict verdicts
// and merged bytes agree with git's, including git's rule that changes
// touching adjacent lines conflict and that identical changes on both sides
// merge. cadre uses it after every snapshot commit to tell which agents'
// branches would conflict; with [Options.Write] the merged tree can also be
// committed.
//
// A clean [Result] carries the tree id git would print; [Options.Write]
// decides whether the new objects are stored or only hashed in memory.
// A conflicted merge reports its paths ([Conflict]) and no tree.
//
// # Differences from git
//
//   - No rename detection. ort detects renames (and directory renames) by
//     default, and git 2.39's merge-tree has no option to turn that off
//     (only the merge.renames config does). Here a rename is a delete plus an
//     add. When one side renames a file the other side changed, git merges
//     the change into the new path while this package reports a
//     modify/delete conflict: the forecast errs towards a conflict. A rename
//     on one side with no change to the file on the other merges the same.
//   - gitattributes are not read: no merge drivers (merge=union, binary,
//     -merge), no conflict-marker-size, no renormalisation. merge-tree does
//     read them (from the work tree or $GIT_DIR/info/attributes).
//   - Submodules are never merged: both sides moving a submodule to
//     different commits is a conflict. git can resolve it when the
//     submodule is checked out and one commit contains the other.
//   - With several merge bases, they are merged oldest first by committer
//     date, as ort does; bases with equal committer dates are taken in
//     go-git's order, which can differ from git's. That only changes a
//     result when merging those bases conflicts.
//   - Only the default conflict style is produced (merge.conflictStyle is
//     not read); it only shows in a virtual merge base's conflict markers.
//
// Files with a NUL byte in their first 8000 bytes are binary: changed on
// both sides differently, they conflict.
package merge3
