package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/cmd/cadre/config"
)

// NewCmdConfig groups the configuration commands.
func NewCmdConfig(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect cadre's configuration",
		Long: `cadre reads ~/.config/cadre/config.toml (or $XDG_CONFIG_HOME/cadre/config.toml),
then <repo>/.cadre/config.toml, then the CADRE_* environment and the flags of
run, exec and resume; a later layer wins key by key.`,
		Args: noArgs,
	}
	cmd.AddCommand(newCmdConfigShow(f))
	return cmd
}

func newCmdConfigShow(f *Factory) *cobra.Command {
	o := &RunOptions{IO: f.IO, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration, each value with where it came from",
		Long: `show prints the configuration a run in --repo would use, as TOML, each value
followed by a comment naming its source: "default", a file and line, or an
environment variable. Secrets are never printed: a key is named by its
environment variable, and header values that look like credentials are
redacted. Unknown keys are reported on stderr with the closest known key.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			ld, err := o.loadConfig(repoRoot(o.Repo))
			if err != nil {
				if errors.Is(err, config.ErrInvalid) {
					return usageError{err}
				}
				return err
			}
			for _, w := range ld.Warnings {
				fmt.Fprintln(o.IO.ErrOut, "cadre: warning:", w)
			}
			return ld.Show(o.IO.Out)
		},
	}
	cmd.Flags().StringVar(&o.Repo, "repo", ".", "repository whose .cadre/config.toml is read")
	return cmd
}
