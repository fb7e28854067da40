package main

import (
	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/supervisor"
)

// NewCmdFork starts a new run from a past point of another.
func NewCmdFork(f *Factory) *cobra.Command {
	run := NewCmdRun(f, nil, false)
	var at uint64
	var jsonl bool
	cmd := &cobra.Command{
		Use:   "fork [flags] RUN [--at EVENT]",
		Short: "Start a new run from a past point of RUN (its agents, messages and branches as they were)",
		Long: `fork copies RUN's journal up to event EVENT (see cadre logs; default: all)
under a new run id, recreates each agent's branch at its last snapshot as of
that point and the result branch at its last merge, then resumes the copy.
The original run is left as it is. Give the model flags of run.`,
		Args: exactArgs(1),
	}
	cmd.Flags().AddFlagSet(run.Flags())
	for _, name := range []string{"repo", "base", "test-command"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	cmd.Flags().Uint64Var(&at, "at", 0, "the last event (seq) to keep; 0 keeps them all")
	cmd.Flags().BoolVar(&jsonl, "json", false, "print the new run's events as JSON lines (like exec)")
	cmd.RunE = func(c *cobra.Command, args []string) error {
		o := runOptionsOf(run)
		o.JSONL = jsonl
		o.flagChanged = c.Flags().Changed
		return supervise(c.Context(), o, func(sup *supervisor.Supervisor) (*supervisor.Run, error) {
			// The fork keeps the original run's repository configuration and team.
			if sum, err := sup.Journal().Run(args[0]); err == nil {
				o.repoRoot = sum.Repo
			}
			o.Team = journaledTeam(sup, args[0])
			spec, err := o.spec()
			if err != nil {
				return nil, err
			}
			return sup.Fork(c.Context(), args[0], at, spec)
		})
	}
	return cmd
}
