package actors

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// formatMessage renders a message for a model: a header line, then one line
// per field; multi-line strings (diffs, test output) follow their key as is,
// so the model reads them without JSON escapes.
func formatMessage(env messaging.Envelope) string {
	var b strings.Builder
	from := env.From.String()
	if env.From.IsZero() {
		from = "the user"
	}
	fmt.Fprintf(&b, "[message %s from %s: %s]\n", env.ID, from, env.Kind)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(env.Body, &fields); err != nil {
		b.Write(env.Body)
		return b.String()
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var blocks []string
	for _, k := range keys {
		raw := fields[k]
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if strings.Contains(s, "\n") {
				blocks = append(blocks, k+":\n"+strings.TrimRight(s, "\n"))
				continue
			}
			fmt.Fprintf(&b, "%s: %s\n", k, s)
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", k, raw)
	}
	for _, bl := range blocks {
		b.WriteString(bl)
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
