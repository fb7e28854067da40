package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

// RunReport is the final report of a run: what changed, by whom, whether
// the tests pass, what the reviewers said, what it cost, and where the
// result is. BuildReport folds it from the run's journal events alone;
// only Diffstat is read from the repository, by the caller.
type RunReport struct {
	Run          string
	Task         string
	Repo         string
	BaseBranch   string
	BaseCommit   string
	ResultBranch string
	ResultCommit string // recorded when the run finished; "" before
	// Status is the run's outcome (succeeded, failed, cancelled),
	// "interrupted" when its stream ends suspended, else "running".
	Status   string
	Finished bool // a run_finished event was journaled
	Summary  string
	Error    string
	Started  time.Time
	Ended    time.Time // zero while not finished

	Agents        []AgentReport           // every agent, in tree order
	MergeFailures []messaging.MergeFailed // merges into the result that could not be made
	Tests         []ReportedTest          // the last test_report of each sender, by sender
	Reviews       []ReportedReview        // every verdict, in journal order
	Usage         messaging.Usage         // all agents together
	CostUSD       float64
	Turns         int

	// Diffstat is `git diff --stat` from BaseCommit to the result, when the
	// caller could read it from the repository.
	Diffstat string
}

// AgentReport is one agent's part of a run.
type AgentReport struct {
	Address   messaging.Address
	Role      string
	Model     string
	Files     []string // every file its snapshots changed, sorted
	Snapshots int
	Merged    []messaging.Merged // its commits merged into the result branch
	Failed    string             // its last failure, if it failed
	Turns     int
	Usage     messaging.Usage
	CostUSD   float64
}

// ReportedTest is a test_report message and who sent it.
type ReportedTest struct {
	From messaging.Address
	messaging.TestReport
}

// ReportedReview is a review message and who sent it.
type ReportedReview struct {
	From messaging.Address
	messaging.Review
}

// BuildReport folds a run's events (in journal order) into its report.
// prices costs a model turn whose event carries no cost (nil: such turns
// cost nothing). Events it cannot decode are skipped.
func BuildReport(evs []messaging.Event, prices func(model string, u messaging.Usage) float64) RunReport {
	var rep RunReport
	agents := map[messaging.Address]*AgentReport{}
	agent := func(a messaging.Address) *AgentReport {
		ar := agents[a]
		if ar == nil {
			ar = &AgentReport{Address: a}
			agents[a] = ar
		}
		return ar
	}
	files := map[messaging.Address]map[string]bool{}
	lastTest := map[messaging.Address]ReportedTest{}
	seenReview := map[string]bool{}
	suspended := -1
	for i, ev := range evs {
		if rep.Run == "" {
			rep.Run = ev.Run
		}
		switch ev.Type {
		case messaging.EvRunStarted:
			var p messaging.RunStarted
			if ev.Decode(&p) == nil {
				rep.Task, rep.Repo, rep.BaseBranch, rep.BaseCommit = p.Task, p.Repo, p.BaseBranch, p.BaseCommit
				rep.ResultBranch, rep.Started = p.ResultBranch, ev.Time
			}
		case messaging.EvRunSuspended:
			var p messaging.RunSuspended
			if ev.Decode(&p) == nil {
				suspended = i
				rep.Error = p.Reason
				if p.Error != "" {
					rep.Error += ": " + p.Error
				}
			}
		case messaging.EvRunFinished:
			var p messaging.RunFinished
			if ev.Decode(&p) == nil {
				rep.Finished, rep.Status, rep.Summary, rep.Error = true, p.Status, p.Summary, p.Error
				if p.ResultBranch != "" {
					rep.ResultBranch = p.ResultBranch
				}
				rep.ResultCommit, rep.Ended = p.ResultCommit, ev.Time
			}
		case messaging.EvAgentStarted:
			var p messaging.AgentStarted
			if ev.Decode(&p) == nil {
				a := agent(ev.Agent)
				a.Role = p.Role
				if p.Model != "" {
					a.Model = p.Model
				}
				a.Failed = ""
			}
		case messaging.EvAgentFailed:
			var p messaging.AgentFailed
			if ev.Decode(&p) == nil {
				agent(ev.Agent).Failed = p.Error
			}
		case messaging.EvModelTurn:
			var p messaging.ModelTurn
			if ev.Decode(&p) == nil {
				a := agent(ev.Agent)
				if p.Model != "" {
					a.Model = p.Model
				}
				c := p.CostUSD
				if c == 0 && prices != nil {
					c = prices(a.Model, p.Usage)
				}
				a.Turns++
				a.Usage = a.Usage.Add(p.Usage)
				a.CostUSD += c
				rep.Turns++
				rep.Usage = rep.Usage.Add(p.Usage)
				rep.CostUSD += c
			}
		case messaging.EvSnapshot:
			var p messaging.Snapshot
			if ev.Decode(&p) == nil {
				agent(ev.Agent).Snapshots++
				if files[ev.Agent] == nil {
					files[ev.Agent] = map[string]bool{}
				}
				for _, f := range p.Files {
					files[ev.Agent][f] = true
				}
			}
		case messaging.EvMerged:
			var p messaging.Merged
			if ev.Decode(&p) == nil {
				by := p.Agent
				if by.IsZero() {
					by = ev.Agent
				}
				a := agent(by)
				a.Merged = append(a.Merged, p)
			}
		case messaging.EvMergeFailed:
			var p messaging.MergeFailed
			if ev.Decode(&p) == nil {
				rep.MergeFailures = append(rep.MergeFailures, p)
			}
		case messaging.EvMessageSent:
			var p messaging.MessageSent
			if ev.Decode(&p) != nil {
				continue
			}
			body, err := p.Envelope.Decode()
			if err != nil {
				continue
			}
			switch b := body.(type) {
			case messaging.TestReport:
				lastTest[p.Envelope.From] = ReportedTest{From: p.Envelope.From, TestReport: b}
			case messaging.Review:
				// A verdict asking for changes goes to the requester and
				// back to the author: two messages, one verdict.
				key := fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%d", p.Envelope.From, b.Agent, b.Commit, b.Verdict, b.Round)
				if !seenReview[key] {
					seenReview[key] = true
					rep.Reviews = append(rep.Reviews, ReportedReview{From: p.Envelope.From, Review: b})
				}
			}
		}
	}
	switch {
	case rep.Finished:
	case suspended >= 0 && suspended == len(evs)-1:
		rep.Status = "interrupted"
	default:
		rep.Status, rep.Error = "running", ""
	}
	for a, fs := range files {
		ar := agent(a)
		for f := range fs {
			ar.Files = append(ar.Files, f)
		}
		sort.Strings(ar.Files)
	}
	for _, a := range agents {
		rep.Agents = append(rep.Agents, *a)
	}
	// Sorting addresses as strings lists a parent before its children and
	// those before its next sibling ('/' sorts before every name character).
	sort.Slice(rep.Agents, func(i, j int) bool { return rep.Agents[i].Address.String() < rep.Agents[j].Address.String() })
	for _, t := range lastTest {
		rep.Tests = append(rep.Tests, t)
	}
	sort.Slice(rep.Tests, func(i, j int) bool { return rep.Tests[i].From.String() < rep.Tests[j].From.String() })
	return rep
}

// maxFailedShown bounds the failing test names listed per test report.
const maxFailedShown = 20

// WriteReport renders a report as text for people. The output depends only
// on the report, so it can be compared with a golden file.
func WriteReport(w io.Writer, r RunReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s: %s\n", r.Run, r.Status)
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "  %-8s %s\n", name+":", value)
		}
	}
	field("task", oneLine(r.Task, 200))
	field("repo", r.Repo)
	field("base", reportOnBranch(r.BaseBranch, r.BaseCommit))
	field("result", reportOnBranch(r.ResultBranch, r.ResultCommit))
	if !r.Started.IsZero() {
		when := r.Started.UTC().Format("2006-01-02 15:04:05 UTC")
		if !r.Ended.IsZero() {
			when += ", took " + r.Ended.Sub(r.Started).Round(time.Second).String()
		}
		field("started", when)
	}
	field("summary", oneLine(r.Summary, 200))
	field("error", oneLine(r.Error, 200))

	b.WriteString("\nChanges")
	switch {
	case r.Diffstat != "":
		fmt.Fprintf(&b, " (git diff --stat %s %s):\n", messaging.ShortCommit(r.BaseCommit), messaging.ShortCommit(r.ResultCommit))
		for _, line := range strings.Split(strings.TrimRight(r.Diffstat, "\n"), "\n") {
			b.WriteString("  " + strings.TrimPrefix(line, " ") + "\n")
		}
	case r.ResultCommit != "" && r.ResultCommit == r.BaseCommit:
		b.WriteString(":\n  none: the result is the base commit\n")
	default:
		b.WriteString(":\n  (the diffstat was not read from the repository)\n")
	}

	b.WriteString("\nBy agent:\n")
	wrote := false
	for _, a := range r.Agents {
		if len(a.Files) == 0 && len(a.Merged) == 0 && a.Failed == "" {
			continue
		}
		wrote = true
		fmt.Fprintf(&b, "  %s (%s): %s\n", a.Address, reportOrDash(a.Role), reportAgentLine(a))
		if a.Failed != "" {
			fmt.Fprintf(&b, "    failed: %s\n", oneLine(a.Failed, 160))
		}
		for _, f := range a.Files {
			fmt.Fprintf(&b, "    %s\n", f)
		}
	}
	for _, m := range r.MergeFailures {
		wrote = true
		what := oneLine(m.Error, 160)
		if len(m.Conflicts) > 0 {
			what = "conflicts in " + strings.Join(m.Conflicts, ", ")
		}
		fmt.Fprintf(&b, "  merge of %s from %s failed: %s\n", messaging.ShortCommit(m.Commit), m.Agent, what)
	}
	if !wrote {
		b.WriteString("  no agent changed a file\n")
	}

	b.WriteString("\nTests:\n")
	if len(r.Tests) == 0 {
		b.WriteString("  none reported\n")
	}
	for _, t := range r.Tests {
		verdict := "FAILED"
		if t.Passed {
			verdict = "passed"
		}
		fmt.Fprintf(&b, "  %s  %s ran %q (exit %d)", verdict, t.From, strings.Join(t.Command, " "), t.ExitCode)
		if t.Commit != "" {
			fmt.Fprintf(&b, " on %s", messaging.ShortCommit(t.Commit))
		}
		if len(t.Agents) > 0 {
			fmt.Fprintf(&b, " with the work of %s", reportAddresses(t.Agents))
		}
		b.WriteString("\n")
		if n := len(t.Failed); n > 0 {
			shown := t.Failed
			if n > maxFailedShown {
				shown = shown[:maxFailedShown]
			}
			fmt.Fprintf(&b, "    failing: %s", strings.Join(shown, ", "))
			if n > maxFailedShown {
				fmt.Fprintf(&b, " and %d more", n-maxFailedShown)
			}
			b.WriteString("\n")
		}
	}

	b.WriteString("\nReviews:\n")
	if len(r.Reviews) == 0 {
		b.WriteString("  none\n")
	}
	for _, v := range r.Reviews {
		fmt.Fprintf(&b, "  %-15s  %s on %s", v.Verdict, v.From, v.Agent)
		if v.Commit != "" {
			fmt.Fprintf(&b, " at %s", messaging.ShortCommit(v.Commit))
		}
		if v.Round > 0 {
			fmt.Fprintf(&b, ", round %d", v.Round)
		}
		fmt.Fprintf(&b, ": %s\n", oneLine(v.Summary, 160))
		if v.Merge != "" {
			fmt.Fprintf(&b, "    %s\n", oneLine(v.Merge, 160))
		}
	}

	b.WriteString("\nCost:\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  AGENT\tROLE\tMODEL\tTURNS\tIN\tCACHED\tOUT\tCOST")
	for _, a := range r.Agents {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\t$%.4f\n", a.Address, reportOrDash(a.Role), reportOrDash(a.Model), a.Turns,
			a.Usage.Input, a.Usage.CachedInput, a.Usage.Output, a.CostUSD)
	}
	fmt.Fprintf(tw, "  total\t\t\t%d\t%d\t%d\t%d\t$%.4f\n", r.Turns, r.Usage.Input, r.Usage.CachedInput, r.Usage.Output, r.CostUSD)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func reportAgentLine(a AgentReport) string {
	var parts []string
	if n := len(a.Files); n > 0 {
		parts = append(parts, fmt.Sprintf("%s in %s", reportPlural(n, "file"), reportPlural(a.Snapshots, "snapshot")))
	}
	switch n := len(a.Merged); n {
	case 0:
		if len(a.Files) > 0 {
			parts = append(parts, "not merged")
		}
	default:
		last := a.Merged[n-1]
		how := "fast-forward"
		if !last.FastForward && last.Commit != last.Result {
			how = "merge " + messaging.ShortCommit(last.Result)
		}
		what := messaging.ShortCommit(last.Commit)
		if n > 1 {
			what = "last " + what
		}
		parts = append(parts, fmt.Sprintf("merged %s into %s (%s, %s)", reportPlural(n, "commit"), last.Into, what, how))
	}
	if len(parts) == 0 {
		return "failed"
	}
	return strings.Join(parts, ", ")
}

func reportPlural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func reportOnBranch(branch, commit string) string {
	switch {
	case branch == "":
		return messaging.ShortCommit(commit)
	case commit == "":
		return branch
	}
	return branch + " at " + messaging.ShortCommit(commit)
}

func reportOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func reportAddresses(as []messaging.Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
