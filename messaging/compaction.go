package messaging

// EvCompacted is the type of a [Compacted] event.
const EvCompacted EventType = "compacted"

// Compacted records that an agent replaced the older part of its
// conversation with a summary the model wrote, because its last turn's
// input reached the agent's compaction limit. The first Items items of the
// conversation as it stood were replaced by one user item holding a fixed
// header and Summary; an agent rebuilding its conversation from its events
// applies the same replacement at the same point.
//
// Usage and CostUSD are those of the summary request itself: it is a model
// request like a turn, billed like one, but not counted as a turn.
type Compacted struct {
	// Turn is the number of the turn the compaction precedes.
	Turn int `json:"turn"`
	// Items is how many conversation items were replaced.
	Items int `json:"items"`
	// Turns is how many assistant turns the replaced items held, those of
	// earlier compactions included.
	Turns int `json:"turns"`
	// Summary is the model's summary of the replaced items.
	Summary string `json:"summary"`
	// InputTokens is the input of the turn that reached the limit: what the
	// conversation weighed before it was compacted.
	InputTokens int64   `json:"input_tokens"`
	Model       string  `json:"model,omitempty"`
	Usage       Usage   `json:"usage"`
	CostUSD     float64 `json:"cost_usd,omitempty"`
}

func (Compacted) EventType() EventType { return EvCompacted }
