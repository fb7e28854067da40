package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/rivo/tview"
)

// TreeColumns are the headings of the agent tree.
var TreeColumns = []string{"AGENT", "ROLE", "STATUS", "GEN", "MODEL", "IN", "OUT", "COST", "AGE", "ACTION"}

// TreeRow is one agent line of the tree; Cells match TreeColumns and hold
// no colour tags.
type TreeRow struct {
	Address messaging.Address
	Status  string
	Cells   []string
}

// ApprovalColumns are the headings of the approvals inbox.
var ApprovalColumns = []string{"ID", "AGENT", "AGE", "COMMAND", "WHY"}

// ApprovalRow is one pending approval; Cells match ApprovalColumns.
type ApprovalRow struct {
	ID    string
	Cells []string
}

// RunColumns are the headings of the run picker.
var RunColumns = []string{"RUN", "STATUS", "ACTIVE", "AGENTS", "TOKENS", "COST", "UPDATED", "REPO", "TASK"}

// HeaderText renders the run header: two lines with tview colour tags. The
// count of pending approvals is always shown.
func HeaderText(s Snapshot, now time.Time) string {
	h := s.Header
	status := h.Status
	if status == "" {
		status = "starting"
	}
	end := now
	if !h.Finished.IsZero() {
		end = h.Finished
	}
	elapsed := "-"
	if !h.Started.IsZero() {
		elapsed = FormatDuration(end.Sub(h.Started))
	}
	apColor := "green"
	if len(s.Approvals) > 0 {
		apColor = "red"
	}
	line1 := fmt.Sprintf("[::b]%s[::-] [%s]%s[-] · agents [::b]%d/%d[::-] working · tokens %s in / %s out · %s · %s · [%s::b]approvals %d[-::-]",
		esc(orDash(h.Run)), runStatusColor(status), esc(status), h.Working, h.Total,
		FormatTokens(h.Usage.Input), FormatTokens(h.Usage.Output), FormatCost(h.CostUSD), elapsed,
		apColor, len(s.Approvals))
	branch := orDash(h.BaseBranch) + " → " + orDash(h.ResultBranch)
	line2 := fmt.Sprintf("[gray]task[-] %s · [gray]repo[-] %s · %s", esc(oneLine(orDash(h.Task), 70)), esc(orDash(h.Repo)), esc(branch))
	if h.Warning != "" {
		line2 += " · [yellow]⚠ " + esc(oneLine(h.Warning, 60)) + "[-]"
	}
	return line1 + "\n" + line2
}

// TreeRows renders the agents whose address contains filter, in tree order,
// indented by depth.
func TreeRows(agents []AgentView, filter string, now time.Time) []TreeRow {
	shown := filterAgents(agents, filter)
	rows := make([]TreeRow, len(shown))
	for i, a := range shown {
		rows[i] = TreeRowOf(a, now)
	}
	return rows
}

// TreeRowOf renders one agent as a tree row, its name indented by depth.
func TreeRowOf(a AgentView, now time.Time) TreeRow {
	name := a.Address.String()
	if d := a.Address.Depth(); d > 0 {
		name = strings.Repeat("  ", d) + a.Address.Name()
	}
	age := "-"
	if !a.Started.IsZero() {
		age = FormatDuration(now.Sub(a.Started))
	}
	return TreeRow{Address: a.Address, Status: a.Status, Cells: []string{
		name, orDash(a.Role), a.Status, strconv.Itoa(a.Generation), orDash(a.Model),
		FormatTokens(a.Usage.Input), FormatTokens(a.Usage.Output), FormatCost(a.CostUSD), age, orDash(a.Action),
	}}
}

// filterAgents keeps the agents whose address contains filter.
func filterAgents(agents []AgentView, filter string) []AgentView {
	if filter == "" {
		return agents
	}
	var out []AgentView
	for _, a := range agents {
		if strings.Contains(a.Address.String(), filter) {
			out = append(out, a)
		}
	}
	return out
}

// FlowLines renders message flow items, one line each, with colour tags.
func FlowLines(items []FlowItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprintf("[gray]%s[-] [aqua]%-16s[-] → [aqua]%-16s[-] [yellow]%-14s[-] %s",
			it.Time.UTC().Format("15:04:05"), esc(it.From), esc(it.To), esc(it.Kind), esc(it.Summary))
	}
	return out
}

// DetailText renders an agent's conversation, turn by turn, then its files
// and diff (diff may be "" when not known yet).
func DetailText(d AgentDetail, diff string) string {
	var b strings.Builder
	a := d.Agent
	fmt.Fprintf(&b, "[::b]%s[::-]  %s · [%s]%s[-] · gen %d · %s · %s in / %s out · %s\n",
		esc(a.Address.String()), esc(orDash(a.Role)), StatusColor(a.Status), a.Status, a.Generation,
		esc(orDash(a.Model)), FormatTokens(a.Usage.Input), FormatTokens(a.Usage.Output), FormatCost(a.CostUSD))
	if d.Task != "" {
		fmt.Fprintf(&b, "[gray]task[-] %s\n", esc(oneLine(d.Task, 200)))
	}
	if d.Branch != "" {
		fmt.Fprintf(&b, "[gray]branch[-] %s\n", esc(d.Branch))
	}
	if d.Dropped > 0 {
		fmt.Fprintf(&b, "[gray]… %d earlier entries not kept[-]\n", d.Dropped)
	}
	b.WriteString("\n")
	for _, e := range d.Entries {
		color := entryColor(e)
		fmt.Fprintf(&b, "[gray]%s[-] [%s]%s[-]\n", e.Time.UTC().Format("15:04:05"), color, esc(e.Title))
		if e.Body != "" {
			for line := range strings.SplitSeq(strings.TrimRight(e.Body, "\n"), "\n") {
				b.WriteString("    ")
				b.WriteString(esc(line))
				b.WriteString("\n")
			}
		}
	}
	if len(a.Files) > 0 {
		fmt.Fprintf(&b, "\n[::b]files[::-] %s\n", esc(strings.Join(a.Files, ", ")))
	}
	if diff != "" {
		b.WriteString("\n[::b]diff[::-]\n")
		for line := range strings.SplitSeq(strings.TrimRight(diff, "\n"), "\n") {
			switch {
			case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
				fmt.Fprintf(&b, "[::b]%s[::-]\n", esc(line))
			case strings.HasPrefix(line, "+"):
				fmt.Fprintf(&b, "[green]%s[-]\n", esc(line))
			case strings.HasPrefix(line, "-"):
				fmt.Fprintf(&b, "[red]%s[-]\n", esc(line))
			case strings.HasPrefix(line, "@@"):
				fmt.Fprintf(&b, "[aqua]%s[-]\n", esc(line))
			default:
				b.WriteString(esc(line) + "\n")
			}
		}
	}
	return b.String()
}

// ApprovalRows renders pending approvals, oldest first.
func ApprovalRows(list []Approval, now time.Time) []ApprovalRow {
	rows := make([]ApprovalRow, len(list))
	for i, ap := range list {
		rows[i] = ApprovalRow{ID: ap.ID, Cells: []string{
			ap.ID, ap.Agent.String(), FormatDuration(now.Sub(ap.Time)),
			oneLine(strings.Join(ap.Command, " "), 60), oneLine(ap.Reason, 50),
		}}
	}
	return rows
}

// RunRows renders the run list of the picker, one row per run.
func RunRows(runs []messaging.RunSummary, now time.Time) [][]string {
	rows := make([][]string, len(runs))
	for i, r := range runs {
		active := "no"
		if r.Active {
			active = "yes"
		}
		rows[i] = []string{
			r.ID, r.Status, active, fmt.Sprint(r.Agents),
			FormatTokens(r.Usage.Input + r.Usage.Output), FormatCost(r.CostUSD),
			FormatDuration(now.Sub(r.Updated)) + " ago", oneLine(r.Repo, 30), oneLine(r.Task, 50),
		}
	}
	return rows
}

// HelpText lists the keys.
const HelpText = `[::b]mission control — keys[::-]

[yellow]everywhere[-]
  ?        this help            m   message flow        a   approvals inbox
  Esc      back to the tree     /   filter by address   :   command bar
  q Ctrl-C close the dashboard (the run goes on)

[yellow]agent tree[-]
  ↑ ↓ / mouse  select           Enter  agent detail (conversation, diff)
  p  pause / resume agent       i  interrupt agent      s  send a message
  P  pause / resume the run     C  cancel the run (asks first)

[yellow]approvals inbox[-]
  y  approve once               A  approve always       n  deny with a reason

[yellow]commands[-]
  :pause ADDR   :resume ADDR   :interrupt ADDR   :msg ADDR TEXT…
  :approve ID   :deny ID REASON…   :cancel   :q`

// StatusColor is the tview colour name of an agent status.
func StatusColor(status string) string {
	switch status {
	case StatusThinking:
		return "yellow"
	case StatusRunning:
		return "green"
	case StatusWaitingApproval:
		return "red"
	case StatusWaiting:
		return "aqua"
	case StatusDone:
		return "teal"
	case StatusFailed:
		return "maroon"
	case StatusPaused:
		return "fuchsia"
	}
	return "gray"
}

func runStatusColor(status string) string {
	switch status {
	case "running":
		return "green"
	case messaging.StatusSucceeded:
		return "teal"
	case messaging.StatusFailed, messaging.StatusCancelled:
		return "red"
	}
	return "gray"
}

func entryColor(e Entry) string {
	if e.Error {
		return "red"
	}
	switch e.Kind {
	case EntryText:
		return "white"
	case EntryTool:
		return "green"
	case EntrySent, EntryReceived:
		return "aqua"
	case EntryApproval:
		return "fuchsia"
	case EntrySnapshot:
		return "teal"
	}
	return "yellow"
}

// FormatTokens prints a token count compactly: 950, 12.3k, 4.1M.
func FormatTokens(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprint(n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	default:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
}

// FormatCost prints a cost in USD.
func FormatCost(usd float64) string {
	if usd < 10 {
		return fmt.Sprintf("$%.3f", usd)
	}
	return fmt.Sprintf("$%.2f", usd)
}

// FormatDuration prints a duration to the second: 45s, 12m03s, 1h02m.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Truncate(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func esc(s string) string { return tview.Escape(s) }
