package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/ui"
)

// NewCmdBudget raises the budget of an address's subtree.
func NewCmdBudget(f *Factory) *cobra.Command {
	o := &HistoryOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "budget RUN ADDRESS +AMOUNT...",
		Short: "Raise the budget of an agent's subtree (a paused subtree goes on)",
		Long: `Raise the budget of the subtree at ADDRESS (/root is the whole run) by each
AMOUNT: a cost ("$2", "1.5usd"), tokens ("50000", "50k", "1.5M"), turns
("10turns") or wall time ("30m", "1h30m"). A subtree whose budget was spent
is paused; raising it lets it go on at once. For a run that is not running
(its /root budget was spent, or it was interrupted) the new budget is
journaled and applies when it is resumed with cadre resume.`,
		Example: `  cadre budget r-20261123-ab12 /root/coder_a +50k
  cadre budget r-20261123-ab12 /root +$2 +30m`,
		Args: minArgs(3),
		RunE: func(c *cobra.Command, args []string) error {
			addr, err := messaging.ParseAddress(args[1])
			if err != nil {
				return usageError{err}
			}
			var raise messaging.Budget
			for _, a := range args[2:] {
				b, err := messaging.ParseBudgetAmount(a)
				if err != nil {
					return usageError{err}
				}
				raise = raise.Add(b)
			}
			return withSource(o.StateDir, func(src ui.Source) error {
				ctl := messaging.Control{Action: messaging.ActionBudget, Target: addr, Raise: &raise, By: "cli"}
				if err := src.Control(c.Context(), args[0], ctl); err != nil {
					return err
				}
				fmt.Fprintf(o.IO.Out, "raised the budget of %s in %s by %s\n", addr, args[0], raise)
				runs, err := src.Runs(c.Context())
				if err != nil {
					return err
				}
				for _, r := range runs {
					if r.ID == args[0] && !r.Active {
						fmt.Fprintf(o.IO.Out, "%s is not running; continue it with: cadre resume %s\n", r.ID, r.ID)
					}
				}
				return nil
			})
		},
	}
	addStateFlag(cmd, &o.StateDir)
	return cmd
}
