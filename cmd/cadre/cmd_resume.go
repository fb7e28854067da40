package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor"
)

// NewCmdResume continues an interrupted run where it stopped.
func NewCmdResume(f *Factory, runF func(context.Context, string, *RunOptions) error) *cobra.Command {
	run := NewCmdRun(f, nil, false)
	o := &RunOptions{}
	cmd := &cobra.Command{
		Use:   "resume [flags] RUN",
		Short: "Continue an interrupted run with every agent, message and worktree where it stopped",
		Long: `resume restarts every agent of RUN that had not failed, with its conversation
rebuilt from the journal, its worktree re-attached (or re-created from its
branch) and the messages sent to it but not yet taken delivered once. A tool
call cut off by the interruption runs again when that is safe (reading,
apply_patch, sending a message not yet sent) and is reported to the model as
interrupted otherwise. Model and sandbox flags are those of run; they are
not kept in the journal, so give the same ones.`,
		Args: exactArgs(1),
	}
	// The same flags as run (model, sandbox, limits, --no-ui), plus --json.
	cmd.Flags().AddFlagSet(run.Flags())
	for _, name := range []string{"repo", "base", "test-command"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	var jsonl bool
	cmd.Flags().BoolVar(&jsonl, "json", false, "print the run's new events as JSON lines (like exec)")
	cmd.RunE = func(c *cobra.Command, args []string) error {
		// run's options were filled by the shared flag set.
		*o = *runOptionsOf(run)
		o.JSONL = jsonl
		o.flagChanged = c.Flags().Changed
		if runF != nil {
			return runF(c.Context(), args[0], o)
		}
		return resumeRun(c.Context(), args[0], o)
	}
	return cmd
}

func resumeRun(ctx context.Context, id string, o *RunOptions) error {
	return supervise(ctx, o, func(sup *supervisor.Supervisor) (*supervisor.Run, error) {
		// The configuration is the run's repository's, the team the run's.
		if sum, err := sup.Journal().Run(id); err == nil {
			o.repoRoot = sum.Repo
		}
		o.Team = journaledTeam(sup, id)
		spec, err := o.spec()
		if err != nil {
			return nil, err
		}
		if last, err := sup.Journal().LastSeq(id); err == nil {
			o.after = last
		}
		return sup.Resume(ctx, id, spec)
	})
}

// journaledTeam is the team a run was started with ("default" for runs
// journaled before teams existed).
func journaledTeam(sup *supervisor.Supervisor, id string) string {
	team := "default"
	stop := errors.New("stop")
	_ = sup.Journal().Events(id, 0, func(ev messaging.Event) error {
		var p messaging.RunStarted
		if ev.Type == messaging.EvRunStarted && ev.Decode(&p) == nil && p.Team != "" {
			team = p.Team
		}
		return stop
	})
	return team
}
