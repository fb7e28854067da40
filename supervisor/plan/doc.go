// Package plan holds the planner's plan: subtasks with dependencies and
// write leases, their validation, the exact lease check, and the schedule
// that starts subtasks as their dependencies are merged. It does no I/O.
//
// A lease is a list of globs over repo-relative, slash-separated paths.
// Each segment of a glob (the text between slashes) matches one segment of
// a path:
//
//	?       exactly one character
//	*       any run of characters within one segment, possibly empty
//	[abc]   one character of the class; ranges as in [a-z]; [!...] or [^...] negates
//	**      as a whole segment: zero or more path segments
//
// Every other character, "]" included, matches itself; there are no
// escapes. "*" also matches names that start with a dot, and "pkg/**"
// matches "pkg" itself. Globs and the paths they are checked against never
// have empty, "." or ".." segments and are never absolute.
//
// Validate refuses two subtasks whose leases overlap, meaning some path is
// matched by both, unless both are Shared; the overlap test is exact and
// gives an example path (see Overlap). LeaseDirs gives the directories a
// sandbox makes writable; Match is the exact check of a changed path.
//
// Lifecycle of a subtask in a Schedule:
//
//	pending ─(deps merged)─► ready ─Start─► running ─Merged─► merged
//	                                           │
//	                                           └─Failed─► failed ─(kept by Revise)─► pending
//
// Revise swaps in a new revision of the plan: merged subtasks keep their id
// and lease, running ones keep running, pending ones left out disappear.
// Illegal transitions return errors wrapping ErrState; problems with a plan
// return an *InvalidError wrapping ErrInvalid, meant to be sent back to the
// planner as is.
package plan
