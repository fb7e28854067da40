package plan

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// String renders the plan as if nothing had started; see Render.
func (p Plan) String() string { return Render(p, nil) }

// String renders the schedule's plan with its states; see Render.
func (s *Schedule) String() string { return Render(s.plan, s) }

// Render prints a compact, stable text view of a plan for `cadre show`: a
// header with the revision and the count of subtasks in each state, the
// reason if any, then one line per subtask in plan order with its id,
// state, dependencies, writes and title. States come from s; with s nil (or
// for a subtask s does not know) a subtask is ready when it has no
// dependencies and pending otherwise. The output ends with a newline and
// has no trailing spaces.
func Render(p Plan, s *Schedule) string {
	states := make([]State, len(p.Subtasks))
	counts := make([]int, len(stateNames))
	for i, st := range p.Subtasks {
		state := Pending
		if len(st.DependsOn) == 0 {
			state = Ready
		}
		if s != nil {
			if got, ok := s.State(st.ID); ok {
				state = got
			}
		}
		states[i] = state
		counts[state]++
	}
	var b strings.Builder
	b.WriteString("plan")
	if p.Revision > 0 {
		fmt.Fprintf(&b, " revision %d", p.Revision)
	}
	noun := "subtasks"
	if len(p.Subtasks) == 1 {
		noun = "subtask"
	}
	fmt.Fprintf(&b, ": %d %s", len(p.Subtasks), noun)
	var parts []string
	for _, st := range []State{Merged, Running, Ready, Pending, Failed} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	b.WriteByte('\n')
	if r := oneLine(p.Reason); r != "" {
		fmt.Fprintf(&b, "reason: %s\n", r)
	}
	idW, depW := 0, 0
	deps := make([]string, len(p.Subtasks))
	for i, st := range p.Subtasks {
		deps[i] = "-"
		if len(st.DependsOn) > 0 {
			deps[i] = strings.Join(st.DependsOn, ",")
		}
		idW = max(idW, len(st.ID))
		depW = max(depW, len(deps[i]))
	}
	for i, st := range p.Subtasks {
		writes := make([]string, len(st.Writes))
		for k, g := range st.Writes {
			writes[k] = quoteIfNeeded(g)
		}
		line := fmt.Sprintf("%-*s  %-7s  deps %-*s  writes %s", idW, st.ID, states[i], depW, deps[i], strings.Join(writes, " "))
		if st.Shared {
			line += " (shared)"
		}
		if t := oneLine(st.Title); t != "" {
			line += "  # " + t
		}
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// oneLine folds runs of white space (newlines included) into one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// quoteIfNeeded quotes a glob that is empty or holds a space, a quote or an
// unprintable character, so that every glob is one word on the line.
func quoteIfNeeded(g string) string {
	if g == "" || strings.IndexFunc(g, func(r rune) bool {
		return unicode.IsSpace(r) || r == '"' || !unicode.IsPrint(r)
	}) >= 0 {
		return strconv.Quote(g)
	}
	return g
}
