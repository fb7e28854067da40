package plan

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Plan is the planner's division of a task into subtasks. It is also the
// argument of the planner's plan tool (schema messaging/schemas/plan.json):
// the model sends subtasks and, on a revision, a reason; cadre sets
// Revision.
type Plan struct {
	Subtasks []Subtask `json:"subtasks"`
	// Reason says why this revision was made.
	Reason string `json:"reason,omitempty"`
	// Revision counts the plans of a run: Schedule.Revise sets it.
	Revision int `json:"revision,omitempty"`
}

// Subtask is one unit of work for one coder.
type Subtask struct {
	// ID names the subtask in dependencies and views: [a-z][a-z0-9_-]{0,31}.
	ID          string `json:"id"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description"`
	// DependsOn lists the subtasks that must be merged before this one starts.
	DependsOn []string `json:"depends_on,omitempty"`
	// Writes is the write lease: repo-relative globs of the paths the coder
	// may change (the glob language is in the package documentation).
	Writes []string `json:"writes"`
	// Shared lets the lease overlap the leases of other shared subtasks.
	Shared bool `json:"shared,omitempty"`
	// Check says how to verify the work: free text or a command.
	Check string `json:"check,omitempty"`
}

// ErrInvalid is wrapped by every error about a plan's content: the planner
// can fix it and send the plan again.
var ErrInvalid = errors.New("invalid plan")

// InvalidError lists every problem found in a plan, one sentence each.
type InvalidError struct {
	Problems []string
}

func (e *InvalidError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid plan: " + e.Problems[0]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid plan (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// Validate checks a plan and returns an *InvalidError, which wraps
// ErrInvalid, listing every problem: no subtasks, bad or duplicate ids,
// unknown dependencies, self-dependencies, dependency cycles, empty
// descriptions, empty leases, bad globs, and leases that overlap (some path
// is matched by both) between two subtasks that are not both shared.
func Validate(p Plan) error {
	if probs := problems(p); len(probs) > 0 {
		return &InvalidError{Problems: probs}
	}
	return nil
}

// name refers to subtask i in a problem.
func name(p Plan, i int) string {
	if p.Subtasks[i].ID == "" {
		return fmt.Sprintf("subtask #%d", i+1)
	}
	return "subtask " + strconv.Quote(p.Subtasks[i].ID)
}

func problems(p Plan) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if len(p.Subtasks) == 0 {
		add("the plan has no subtasks")
		return out
	}
	first := map[string]int{}
	for i, st := range p.Subtasks {
		switch j, dup := first[st.ID]; {
		case !idPattern.MatchString(st.ID):
			add("%s: bad id %q: use 1 to 32 of a-z, 0-9, _ and -, starting with a letter", name(p, i), st.ID)
		case dup:
			add("duplicate id %q (subtasks #%d and #%d)", st.ID, j+1, i+1)
		default:
			first[st.ID] = i
		}
	}
	globs := make([][]*glob, len(p.Subtasks)) // nil where invalid
	for i, st := range p.Subtasks {
		n := name(p, i)
		if strings.TrimSpace(st.Description) == "" {
			add("%s: empty description", n)
		}
		if len(st.Writes) == 0 {
			add(`%s: no writes; list the paths it may change as globs, e.g. "pkg/cli/**"`, n)
		}
		globs[i] = make([]*glob, len(st.Writes))
		for k, g := range st.Writes {
			pg, err := parseGlob(g)
			if err != nil {
				add("%s: glob %q %v", n, g, err)
				continue
			}
			if _, ok := intersect(pg, &glob{segs: []segment{{any: true}}}); !ok {
				add("%s: glob %q matches no path", n, g)
				continue
			}
			globs[i][k] = pg
		}
		for _, dep := range st.DependsOn {
			if dep == st.ID {
				add("%s: depends on itself", n)
			} else if _, ok := first[dep]; !ok {
				add("%s: depends on unknown subtask %q", n, dep)
			}
		}
	}
	for _, c := range cycles(p, first) {
		add("cycle: %s", strings.Join(c, " -> "))
	}
	for i := range p.Subtasks {
		for j := i + 1; j < len(p.Subtasks); j++ {
			a, b := p.Subtasks[i], p.Subtasks[j]
			if a.Shared && b.Shared {
				continue
			}
			for x, ga := range globs[i] {
				for y, gb := range globs[j] {
					if ga == nil || gb == nil {
						continue
					}
					if ex, ok := intersect(ga, gb); ok {
						add("leases overlap: %s writes %q and %s writes %q (both match %q)",
							leaseOwner(a), a.Writes[x], leaseOwner(b), b.Writes[y], ex)
					}
				}
			}
		}
	}
	return out
}

func leaseOwner(st Subtask) string {
	if st.Shared {
		return strconv.Quote(st.ID) + " (shared)"
	}
	return strconv.Quote(st.ID)
}

// cycles returns one cycle per strongly connected component of the
// dependency graph that has more than one subtask, each starting and ending
// at the component's first subtask in plan order, in plan order. Edges go
// from a subtask to what it depends on; self-dependencies and unknown or
// duplicate ids are left out (they are reported on their own).
func cycles(p Plan, first map[string]int) [][]string {
	n := len(p.Subtasks)
	adj := make([][]int, n)
	for i, st := range p.Subtasks {
		if first[st.ID] != i {
			continue
		}
		for _, dep := range st.DependsOn {
			if j, ok := first[dep]; ok && j != i {
				adj[i] = append(adj[i], j)
			}
		}
	}
	// Tarjan's algorithm.
	index, low, comp := make([]int, n), make([]int, n), make([]int, n)
	for i := range index {
		index[i], comp[i] = -1, -1
	}
	onStack := make([]bool, n)
	var stack []int
	next, ncomp := 0, 0
	var connect func(v int)
	connect = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range adj[v] {
			if index[w] < 0 {
				connect(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = ncomp
				if w == v {
					break
				}
			}
			ncomp++
		}
	}
	for v := range n {
		if index[v] < 0 {
			connect(v)
		}
	}
	size := make([]int, ncomp)
	for _, c := range comp {
		if c >= 0 {
			size[c]++
		}
	}
	var out [][]string
	seen := make([]bool, ncomp)
	for v := range n {
		c := comp[v]
		if size[c] < 2 || seen[c] {
			continue
		}
		seen[c] = true
		// Shortest way from v back to v inside the component.
		prev := make([]int, n)
		for i := range prev {
			prev[i] = -1
		}
		queue := []int{v}
		end := -1
		for len(queue) > 0 && end < 0 {
			u := queue[0]
			queue = queue[1:]
			for _, w := range adj[u] {
				if comp[w] != c {
					continue
				}
				if w == v {
					end = u
					break
				}
				if prev[w] < 0 {
					prev[w] = u
					queue = append(queue, w)
				}
			}
		}
		path := []string{p.Subtasks[v].ID}
		for u := end; u != v; u = prev[u] {
			path = append(path, p.Subtasks[u].ID)
		}
		// path is v, then the cycle backwards; turn it around.
		cyc := []string{p.Subtasks[v].ID}
		for k := len(path) - 1; k >= 1; k-- {
			cyc = append(cyc, path[k])
		}
		out = append(out, append(cyc, p.Subtasks[v].ID))
	}
	return out
}
