package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/supervisor"
)

// NewCmdClean removes what finished runs leave behind.
func NewCmdClean(f *Factory) *cobra.Command {
	var state string
	var olderThan time.Duration
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "clean [--older-than D] [--dry-run]",
		Short: "Remove finished runs' worktrees, private areas and agent branches (never losing a commit)",
		Long: `clean removes the worktrees, private areas and agents' branches of finished
runs. A branch whose commits are merged nowhere is first kept under
refs/cadre/archive/<run>/<branch>. Result branches and the journal stay;
interrupted runs are left for cadre resume.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			dir, err := stateDir(state)
			if err != nil {
				return err
			}
			sup, err := supervisor.Open(dir, supervisor.Options{})
			if err != nil {
				return err
			}
			defer sup.Close()
			done, err := sup.Clean(c.Context(), olderThan, dryRun)
			for _, d := range done {
				if d.Skipped != "" {
					fmt.Fprintf(f.IO.Out, "%s: skipped: %s\n", d.Run, d.Skipped)
					continue
				}
				fmt.Fprintf(f.IO.Out, "%s: %d worktree(s), %d branch(es) deleted, %d archived\n", d.Run, d.Worktrees, len(d.Deleted), len(d.Archived))
				for _, a := range d.Archived {
					fmt.Fprintf(f.IO.Out, "  kept %s\n", a)
				}
			}
			return err
		},
	}
	cmd.Flags().DurationVar(&olderThan, "older-than", 0, "only runs that ended at least this long ago (e.g. 72h)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be removed, remove nothing")
	addStateFlag(cmd, &state)
	return cmd
}
