package scripted

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// PurposeCompact is the X-Cadre-Purpose header value of a request for a
// summary of the conversation (cadre's context compaction). Such a request
// is answered with a summary built from the request, not with a scripted
// turn.
const PurposeCompact = "compact"

// compactedRE matches the header cadre's agents put at the start of the
// item that replaces compacted turns (actors/compact.go writes it).
var compactedRE = regexp.MustCompile(`^\[cadre: (\d+) earlier turns? compacted\]`)

// compactedTurns is the count in a compaction header at the start of text,
// 0 without one.
func compactedTurns(text string) int {
	m := compactedRE.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0
	}
	return n
}

// summaryToolOutputs is how many of the last tool outputs a summary quotes,
// each cut to summaryQuote bytes of its first line.
const (
	summaryToolOutputs = 2
	summaryQuote       = 60
)

// compactSummary is the text the server answers a compaction request with:
// deterministic, built from the request alone, and short, so that the
// compacted conversation is smaller than the one it replaces. items counts
// the conversation items before the final instruction, turns the assistant
// turns among them (compacted ones included).
func (r request) compactSummary() string {
	items := max(r.items-1, 0) // the last item is the compaction instruction
	var quotes []string
	outs := r.toolOutputs
	if len(outs) > summaryToolOutputs {
		outs = outs[len(outs)-summaryToolOutputs:]
	}
	for _, o := range outs {
		line, _, _ := strings.Cut(o, "\n")
		if len(line) > summaryQuote {
			line = line[:summaryQuote] + "…"
		}
		quotes = append(quotes, strconv.Quote(line))
	}
	last := "none"
	if len(quotes) > 0 {
		last = strings.Join(quotes, ", ")
	}
	return fmt.Sprintf("scripted summary of %d items (%d assistant turns); last tool results: %s", items, r.turnIndex, last)
}
