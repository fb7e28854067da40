package messaging

// EvMergeReverted: a merge into the result branch broke the project's
// tests on the merged tree and was taken back.
const EvMergeReverted EventType = "merge_reverted"

// MergeReverted records a merge the merge queue took back: Merged was the
// merge commit, Restored the result branch's tip again. Failed names the
// failing tests found in Output, a bounded excerpt of the test command's
// output.
type MergeReverted struct {
	Agent    Address  `json:"agent"`
	Commit   string   `json:"commit"`
	Into     string   `json:"into"`
	Merged   string   `json:"merged"`
	Restored string   `json:"restored"`
	Command  []string `json:"command"`
	ExitCode int      `json:"exit_code"`
	Failed   []string `json:"failed,omitempty"`
	Output   string   `json:"output"`
}

func (MergeReverted) EventType() EventType { return EvMergeReverted }

// EvMergeStarted: the merge queue is about to merge Commit into Into, whose
// tip is Prev. It is closed by the merge's merged, merge_reverted or
// merge_failed event; one left open after a kill is checked on resume.
const EvMergeStarted EventType = "merge_started"

// MergeStarted records a merge's intent, before the result branch moves.
type MergeStarted struct {
	Agent  Address `json:"agent"`
	Commit string  `json:"commit"`
	Into   string  `json:"into"`
	Prev   string  `json:"prev"`
}

func (MergeStarted) EventType() EventType { return EvMergeStarted }
