package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// progress prints one line per event for a person reading `cadre run`.
type progress struct {
	w     io.Writer
	width int
}

func newProgress(w io.Writer) *progress { return &progress{w: w, width: 16} }

func (p *progress) print(ev messaging.Event) {
	line := describeEvent(ev)
	if line == "" {
		return
	}
	who := ev.Agent.String()
	if who == "" {
		who = "run"
	}
	if len(who) > p.width {
		p.width = len(who)
	}
	fmt.Fprintf(p.w, "%s %-*s %s\n", ev.Time.Local().Format("15:04:05"), p.width, who, line)
}

// describeEvent is the one-line text of an event; "" hides it.
func describeEvent(ev messaging.Event) string {
	switch ev.Type {
	case messaging.EvRunStarted:
		var p messaging.RunStarted
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("started: %q on %s at %s", oneLine(p.Task, 60), p.Repo, messaging.ShortCommit(p.BaseCommit))
		}
	case messaging.EvRunFinished:
		var p messaging.RunFinished
		if ev.Decode(&p) == nil {
			s := fmt.Sprintf("%s: %s", p.Status, oneLine(p.Summary, 100))
			if p.Error != "" {
				s += " — " + oneLine(p.Error, 200)
			}
			return s
		}
	case messaging.EvRunSuspended:
		var p messaging.RunSuspended
		if ev.Decode(&p) == nil {
			s := "suspended: " + p.Reason
			if p.Error != "" {
				s += " — " + oneLine(p.Error, 200)
			}
			return s
		}
	case messaging.EvCompacted:
		var p messaging.Compacted
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("compacted %d earlier turns (%d items, %d tokens) before turn %d", p.Turns, p.Items, p.InputTokens, p.Turn)
		}
	case messaging.EvWarning:
		var p messaging.Warning
		if ev.Decode(&p) == nil {
			return "WARNING: " + oneLine(p.Text, 200)
		}
	case messaging.EvAgentStarted:
		var p messaging.AgentStarted
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("started as %s on %s", p.Role, p.Branch)
		}
	case messaging.EvAgentFailed:
		var p messaging.AgentFailed
		if ev.Decode(&p) == nil {
			return "FAILED: " + oneLine(p.Error, 200)
		}
	case messaging.EvAgentIdle:
		return "idle"
	case messaging.EvModelTurn:
		var p messaging.ModelTurn
		if ev.Decode(&p) == nil {
			var names []string
			for _, c := range p.ToolCalls {
				names = append(names, c.Name)
			}
			what := "says: " + oneLine(p.Text, 80)
			if len(names) > 0 {
				what = "calls " + strings.Join(names, ", ")
			}
			return fmt.Sprintf("turn %d: %s (%d in / %d out tokens)", p.Turn, what, p.Usage.Input, p.Usage.Output)
		}
	case messaging.EvModelRetry:
		var p messaging.ModelRetry
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("model attempt %d failed, retrying in %dms: %s", p.Attempt, p.WaitMS, oneLine(p.Error, 120))
		}
	case messaging.EvToolResult:
		var p messaging.ToolResult
		if ev.Decode(&p) == nil {
			status := "ok"
			if p.IsError {
				status = "error"
			}
			return fmt.Sprintf("%s %s: %s", p.Name, status, oneLine(p.Output, 90))
		}
	case messaging.EvMessageSent:
		var p messaging.MessageSent
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("→ %s %s: %s", p.Envelope.To, p.Envelope.Kind, summarizeBody(p.Envelope))
		}
	case messaging.EvSnapshot:
		var p messaging.Snapshot
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("snapshot %s (%s)", messaging.ShortCommit(p.Commit), strings.Join(p.Files, ", "))
		}
	case messaging.EvMerged:
		var p messaging.Merged
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("merged %s into %s → %s", messaging.ShortCommit(p.Commit), p.Into, messaging.ShortCommit(p.Result))
		}
	case messaging.EvApprovalRequested:
		var p messaging.ApprovalRequested
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("WAITS FOR APPROVAL %s: %s (%s) — cadre approve %s %s --allow|--deny", p.ID, strings.Join(p.Command, " "), oneLine(p.Reason, 80), ev.Run, p.ID)
		}
	case messaging.EvApprovalDecided:
		var p messaging.ApprovalDecided
		if ev.Decode(&p) == nil {
			verdict := "denied"
			if p.Approved {
				verdict = "allowed"
			}
			return fmt.Sprintf("approval %s %s by %s %s", p.ID, verdict, p.By, oneLine(p.Reason, 80))
		}
	case messaging.EvAgentPaused:
		return "paused"
	case messaging.EvAgentResumed:
		return "resumed"
	case messaging.EvMergeFailed:
		var p messaging.MergeFailed
		if ev.Decode(&p) == nil {
			s := "MERGE FAILED: " + oneLine(p.Error, 160)
			if !p.Resolver.IsZero() {
				s += " — " + p.Resolver.String() + " resolves it"
			}
			return s
		}
	case messaging.EvMergeReverted:
		var p messaging.MergeReverted
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("MERGE REVERTED: %s broke %s on the merged tree (failing: %s); %s back at %s",
				messaging.ShortCommit(p.Commit), strings.Join(p.Command, " "), strings.Join(p.Failed, ", "), p.Into, messaging.ShortCommit(p.Restored))
		}
	case messaging.EvConflictForecast:
		var p messaging.ConflictForecast
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("CONFLICT FORECAST with %s in %s", p.With, strings.Join(p.Paths, ", "))
		}
	case messaging.EvPlanSubmitted:
		var p messaging.PlanSubmitted
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("plan revision %d accepted", p.Revision)
		}
	case messaging.EvBudgetSet:
		var p messaging.BudgetSet
		if ev.Decode(&p) == nil {
			return fmt.Sprintf("budget of the subtree: %s (by %s)", p.Budget, p.By)
		}
	case messaging.EvBudgetExhausted:
		var p messaging.BudgetExhausted
		if ev.Decode(&p) == nil {
			return "BUDGET SPENT: " + p.Spent + " — cadre budget RUN " + ev.Agent.String() + " +AMOUNT"
		}
	}
	return ""
}

// summarizeBody is a one-line summary of a message.
func summarizeBody(env messaging.Envelope) string {
	b, err := env.Decode()
	if err != nil {
		return oneLine(string(env.Body), 80)
	}
	switch v := b.(type) {
	case messaging.Assign:
		return oneLine(v.Task, 80)
	case messaging.Report:
		return v.Status + ": " + oneLine(v.Summary, 80)
	case messaging.TestRequest:
		return fmt.Sprintf("test %d agent(s) at %s", len(v.Agents), messaging.ShortCommit(v.Commit))
	case messaging.TestReport:
		if v.Passed {
			return fmt.Sprintf("PASSED (%s)", strings.Join(v.Command, " "))
		}
		return fmt.Sprintf("FAILED exit %d %s", v.ExitCode, strings.Join(v.Failed, ", "))
	case messaging.ReviewRequest:
		return fmt.Sprintf("review %s at %s", v.Agent, messaging.ShortCommit(v.Commit))
	case messaging.Review:
		s := fmt.Sprintf("%s %s: %s", v.Verdict, v.Agent, oneLine(v.Summary, 60))
		if v.Merge != "" {
			s += " [" + v.Merge + "]"
		}
		return s
	case messaging.Ask:
		return oneLine(v.Question, 80)
	case messaging.Answer:
		return oneLine(v.Text, 80)
	}
	raw, _ := json.Marshal(b)
	return oneLine(string(raw), 80)
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
