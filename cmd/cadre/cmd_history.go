package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor"
	"github.com/cadre-dev/cadre/ui"
)

// HistoryOptions are shared by ls, show, logs, cancel, approve and ui.
type HistoryOptions struct {
	IO       IOStreams
	StateDir string
}

func addStateFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "state-dir", "", "cadre's state directory (default $CADRE_HOME, $XDG_STATE_HOME/cadre or ~/.local/state/cadre)")
}

func withSource(state string, fn func(src ui.Source) error) error {
	dir, err := stateDir(state)
	if err != nil {
		return err
	}
	src, closeSrc, err := openSource(dir)
	if err != nil {
		return err
	}
	defer closeSrc()
	return fn(src)
}

// NewCmdLs lists runs.
func NewCmdLs(f *Factory) *cobra.Command {
	o := &HistoryOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List runs: id, status, agents, tokens, age, task",
		Args:  noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return withSource(o.StateDir, func(src ui.Source) error {
				runs, err := src.Runs(c.Context())
				if err != nil {
					return err
				}
				printRuns(o.IO.Out, runs, time.Now())
				return nil
			})
		},
	}
	addStateFlag(cmd, &o.StateDir)
	return cmd
}

func printRuns(w io.Writer, runs []messaging.RunSummary, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATUS\tAGENTS\tTOKENS IN/CACHED/OUT\tCOST\tAGE\tREPO\tTASK")
	for _, r := range runs {
		status := r.Status
		if r.Active {
			status += "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d/%d/%d\t$%.4f\t%s\t%s\t%s\n", r.ID, status, r.Agents, r.Usage.Input, r.Usage.CachedInput, r.Usage.Output,
			r.CostUSD, now.Sub(r.Started).Round(time.Second), r.Repo, oneLine(r.Task, 50))
	}
	tw.Flush()
}

// collect reads a run's events: those journaled so far, or with follow
// every event until the run ends.
func collect(ctx context.Context, src ui.Source, run string, follow bool, fn func(messaging.Event)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runs, err := src.Runs(ctx)
	if err != nil {
		return err
	}
	var sum *messaging.RunSummary
	for i := range runs {
		if runs[i].ID == run {
			sum = &runs[i]
		}
	}
	if sum == nil {
		return usagef("no run %s (see cadre ls)", run)
	}
	if !follow && sum.Events == 0 {
		return nil
	}
	evs, errc := src.Events(ctx, run, 0)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				select {
				case err := <-errc:
					return err
				default:
					return nil
				}
			}
			fn(ev)
			// A run_suspended before the last event was followed by a resume.
			if ev.Type == messaging.EvRunFinished || (ev.EndsStream() && ev.Seq >= sum.Events) || (!follow && ev.Seq >= sum.Events) {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// NewCmdShow prints a run's agent tree with statuses.
func NewCmdShow(f *Factory) *cobra.Command {
	o := &HistoryOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Show a run's agents with their status, tokens and current action",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return withSource(o.StateDir, func(src ui.Source) error {
				m := ui.NewModel(prices)
				var evs []messaging.Event
				if err := collect(c.Context(), src, args[0], false, func(ev messaging.Event) {
					m.Apply(ev)
					evs = append(evs, ev)
				}); err != nil {
					return err
				}
				snap := m.Snapshot()
				now := time.Now()
				for _, line := range strings.Split(ui.HeaderText(snap, now), "\n") {
					fmt.Fprintln(o.IO.Out, stripTags([]string{line})[0])
				}
				tw := tabwriter.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, strings.Join(ui.TreeColumns, "\t"))
				for _, row := range ui.TreeRows(snap.Agents, "", now) {
					fmt.Fprintln(tw, strings.Join(stripTags(row.Cells), "\t"))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				printSubtrees(o.IO.Out, snap)
				if s := supervisor.ReplayPlan(evs); s != nil {
					fmt.Fprintf(o.IO.Out, "\nPLAN (revision %d)\n%s", s.Plan().Revision, s.String())
				}
				return nil
			})
		},
	}
	addStateFlag(cmd, &o.StateDir)
	return cmd
}

// printSubtrees prints, for every agent with children and every budgeted
// address, what its subtree used, and each budget with its state.
func printSubtrees(w io.Writer, snap ui.Snapshot) {
	parents := map[messaging.Address]bool{}
	for _, a := range snap.Agents {
		if !a.Parent.IsZero() {
			parents[a.Parent] = true
		}
	}
	for _, b := range snap.Budgets {
		parents[b.Address] = true
	}
	if len(parents) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSUBTREE\tAGENTS\tIN\tCACHED\tOUT\tCOST\tBUDGET")
	for _, a := range snap.Agents { // tree order
		if !parents[a.Address] {
			continue
		}
		delete(parents, a.Address)
		printSubtree(tw, snap, a.Address)
	}
	for _, b := range snap.Budgets { // budgeted addresses with no agent yet
		if parents[b.Address] {
			printSubtree(tw, snap, b.Address)
		}
	}
	tw.Flush()
}

func printSubtree(tw io.Writer, snap ui.Snapshot, top messaging.Address) {
	u, cost, n := snap.Subtree(top)
	budget := "-"
	for _, b := range snap.Budgets {
		if b.Address == top {
			budget = b.Budget.String()
			if b.Spent != "" {
				budget += " — SPENT: " + b.Spent
			}
		}
	}
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t$%.4f\t%s\n", top, n, u.Input, u.CachedInput, u.Output, cost, budget)
}

// stripTags removes tview colour tags from cells.
func stripTags(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		var b strings.Builder
		in := false
		for _, r := range c {
			switch {
			case r == '[':
				in = true
			case r == ']' && in:
				in = false
			case !in:
				b.WriteRune(r)
			}
		}
		out[i] = b.String()
	}
	return out
}

// LogsOptions are the options of cadre logs.
type LogsOptions struct {
	HistoryOptions
	Follow bool
	JSON   bool
}

// NewCmdLogs prints a run's events, optionally only one agent's.
func NewCmdLogs(f *Factory) *cobra.Command {
	o := &LogsOptions{HistoryOptions: HistoryOptions{IO: f.IO}}
	cmd := &cobra.Command{
		Use:   "logs RUN [ADDRESS]",
		Short: "Print a run's events (one agent's with ADDRESS); -f follows a running run",
		Args:  rangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			var only messaging.Address
			if len(args) == 2 {
				a, err := messaging.ParseAddress(args[1])
				if err != nil {
					return usageError{err}
				}
				only = a
			}
			return withSource(o.StateDir, func(src ui.Source) error {
				p := newProgress(o.IO.Out)
				return collect(c.Context(), src, args[0], o.Follow, func(ev messaging.Event) {
					if !only.IsZero() && ev.Agent != only {
						return
					}
					if o.JSON {
						fmt.Fprintln(o.IO.Out, mustJSONLine(ev))
						return
					}
					p.print(ev)
				})
			})
		},
	}
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "keep printing new events until the run ends")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print events as JSON lines")
	addStateFlag(cmd, &o.StateDir)
	return cmd
}

// NewCmdCancel cancels a running run through its supervisor.
func NewCmdCancel(f *Factory) *cobra.Command {
	o := &HistoryOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "cancel RUN",
		Short: "Cancel a running run (merged work stays on its result branch)",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return withSource(o.StateDir, func(src ui.Source) error {
				if err := src.Control(c.Context(), args[0], messaging.Control{Action: messaging.ActionCancel, By: "cli"}); err != nil {
					return err
				}
				fmt.Fprintf(o.IO.Out, "cancelling %s\n", args[0])
				return nil
			})
		},
	}
	addStateFlag(cmd, &o.StateDir)
	return cmd
}

// ApproveOptions are the options of cadre approve.
type ApproveOptions struct {
	HistoryOptions
	Allow, Deny, Always bool
	Reason              string
}

// NewCmdApprove answers an agent's approval request.
func NewCmdApprove(f *Factory) *cobra.Command {
	o := &ApproveOptions{HistoryOptions: HistoryOptions{IO: f.IO}}
	cmd := &cobra.Command{
		Use:   "approve RUN [ID] --allow|--deny",
		Short: "Answer an agent's request to run a command (the oldest waiting one without ID)",
		Args:  rangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			if o.Allow == o.Deny {
				return usagef("give exactly one of --allow or --deny")
			}
			return withSource(o.StateDir, func(src ui.Source) error {
				id := ""
				if len(args) == 2 {
					id = args[1]
				} else {
					m := ui.NewModel(nil)
					if err := collect(c.Context(), src, args[0], false, m.Apply); err != nil {
						return err
					}
					pending := m.Snapshot().Approvals
					if len(pending) == 0 {
						return errors.New("no approval request is waiting")
					}
					sort.SliceStable(pending, func(i, j int) bool { return pending[i].Time.Before(pending[j].Time) })
					id = pending[0].ID
				}
				ctl := messaging.Control{Action: messaging.ActionApprove, ApprovalID: id, Always: o.Always, Text: o.Reason, By: "cli"}
				if o.Deny {
					ctl.Action = messaging.ActionDeny
				}
				if err := src.Control(c.Context(), args[0], ctl); err != nil {
					return err
				}
				fmt.Fprintf(o.IO.Out, "%s %s\n", ctl.Action, id)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&o.Allow, "allow", false, "let the command run")
	cmd.Flags().BoolVar(&o.Deny, "deny", false, "refuse it; the agent is told why (--reason)")
	cmd.Flags().BoolVar(&o.Always, "always", false, "with --allow: add an allow rule for this command for the rest of the run")
	cmd.Flags().StringVar(&o.Reason, "reason", "", "why (shown to the agent)")
	addStateFlag(cmd, &o.StateDir)
	return cmd
}

// NewCmdUI opens the dashboard on a run (picked from a list without RUN).
func NewCmdUI(f *Factory) *cobra.Command {
	o := &HistoryOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "ui [RUN]",
		Short: "Open the dashboard on a running or finished run",
		Long: `ui attaches to the running supervisor through its local API, or shows a
finished run from the journal. Closing the dashboard (q) never stops a run.`,
		Args: rangeArgs(0, 1),
		RunE: func(c *cobra.Command, args []string) error {
			return withSource(o.StateDir, func(src ui.Source) error {
				run := ""
				if len(args) == 1 {
					run = args[0]
				} else {
					var err error
					if run, err = ui.Pick(c.Context(), src, ui.Options{}); err != nil {
						if errors.Is(err, ui.ErrNoRunChosen) {
							return nil
						}
						return err
					}
				}
				return ui.Run(c.Context(), src, run, ui.Options{Prices: prices})
			})
		},
	}
	addStateFlag(cmd, &o.StateDir)
	return cmd
}

// prices costs a model's usage from cadre's price table (for the views).
func prices(m string, u messaging.Usage) float64 {
	return model.Cost(m, u.Input, u.CachedInput, u.Output)
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s needs %d argument(s), got %d (see --help)", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("%s needs at least %d arguments, got %d (see --help)", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usagef("%s takes %d to %d arguments, got %d (see --help)", cmd.CommandPath(), lo, hi, len(args))
		}
		return nil
	}
}

func mustJSONLine(ev messaging.Event) string {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	return string(b)
}
