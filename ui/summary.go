package ui

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// ToolAction is the one-line description of a tool call, e.g.
// "shell: go test ./..." or "apply_patch: M sum.go".
func ToolAction(name, arguments string) string {
	var args map[string]any
	if err := json.Unmarshal([]byte(arguments), &args); err != nil {
		return oneLine(name+": "+arguments, maxActionLength)
	}
	switch name {
	case "shell", "run_tests", "exec":
		if c := commandString(args["command"]); c != "" {
			return oneLine(name+": "+c, maxActionLength)
		}
		if name == "run_tests" {
			return name
		}
	case "apply_patch":
		for _, k := range []string{"patch", "input"} {
			if p, ok := args[k].(string); ok {
				return oneLine(name+": "+patchFiles(p), maxActionLength)
			}
		}
	}
	for _, k := range []string{"path", "query", "pattern", "to"} {
		if v, ok := args[k].(string); ok && v != "" {
			return oneLine(name+": "+v, maxActionLength)
		}
	}
	return oneLine(name+": "+arguments, maxActionLength)
}

func commandString(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case []any:
		parts := make([]string, 0, len(c))
		for _, p := range c {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// patchFiles lists the files an apply_patch patch touches: "M a.go, A b.go".
func patchFiles(patch string) string {
	var out []string
	for line := range strings.SplitSeq(patch, "\n") {
		line = strings.TrimSpace(line)
		for prefix, letter := range map[string]string{"*** Update File: ": "M ", "*** Add File: ": "A ", "*** Delete File: ": "D "} {
			if f, ok := strings.CutPrefix(line, prefix); ok {
				out = append(out, letter+f)
			}
		}
	}
	if len(out) == 0 {
		return "(no files)"
	}
	return strings.Join(out, ", ")
}

// SummarizeMessage returns a one-line summary of a message body and a longer
// text for the detail view (test output, review comments, …).
func SummarizeMessage(kind messaging.Kind, raw []byte) (summary, body string) {
	b, err := messaging.DecodeBody(kind, raw)
	if err != nil {
		return oneLine(string(raw), 160), ""
	}
	switch v := b.(type) {
	case messaging.Assign:
		return oneLine(v.Task, 160), clip(strings.TrimSpace(v.Task+"\n"+v.Context), maxText)
	case messaging.Report:
		return oneLine(v.Status+": "+v.Summary, 160), clip(v.Summary, maxText)
	case messaging.TestRequest:
		s := "test " + joinAddrs(v.Agents)
		if v.Note != "" {
			s += ": " + v.Note
		}
		return oneLine(s, 160), clip(v.Note, maxText)
	case messaging.TestReport:
		word := "PASS"
		if !v.Passed {
			word = "FAIL"
		}
		s := fmt.Sprintf("%s exit %d: %s", word, v.ExitCode, strings.Join(v.Command, " "))
		if len(v.Failed) > 0 {
			s += " (failed: " + strings.Join(v.Failed, ", ") + ")"
		}
		return oneLine(s, 160), clip(v.Output, maxOutput)
	case messaging.ReviewRequest:
		s := "review " + v.Agent.String()
		if v.Note != "" {
			s += ": " + v.Note
		}
		return oneLine(s, 160), clip(v.Note, maxText)
	case messaging.Review:
		s := fmt.Sprintf("%s: %s", v.Verdict, v.Summary)
		if len(v.Comments) > 0 {
			s += fmt.Sprintf(" (%d comments)", len(v.Comments))
		}
		var sb strings.Builder
		sb.WriteString(v.Summary)
		for _, c := range v.Comments {
			if c.Line > 0 {
				fmt.Fprintf(&sb, "\n%s:%d: %s", c.Path, c.Line, c.Body)
			} else {
				fmt.Fprintf(&sb, "\n%s: %s", c.Path, c.Body)
			}
		}
		return oneLine(s, 160), clip(sb.String(), maxText)
	case messaging.Ask:
		return oneLine(v.Question, 160), clip(v.Question, maxText)
	case messaging.Answer:
		return oneLine(v.Text, 160), clip(v.Text, maxText)
	}
	return string(kind), ""
}

// oneLine collapses whitespace runs (newlines included) to one space and
// cuts s to at most n bytes, ending with "…" when cut.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// clip cuts s to at most n bytes, saying how much was cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("\n… (%d more bytes)", len(s)-cut)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
