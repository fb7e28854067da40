package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/sandbox"
	"github.com/cadre-dev/cadre/sandbox/execpolicy"
)

// NewCmdSandbox runs one command exactly as an agent would.
func NewCmdSandbox(f *Factory) *cobra.Command {
	o := sandbox.CLIOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox [--workdir DIR] [--network] [--policy FILE] -- CMD ARGS...",
		Short: "Run one command confined exactly as an agent whose worktree is DIR",
		Long: `sandbox runs CMD the way an agent's shell tool does: in fresh user, mount,
pid and network namespaces, under Landlock (writes only inside DIR and a
private area), with resource limits and a scrubbed environment, after the
exec-policy rules (the shipped ones plus --policy). It exits with the
command's status. Use it to debug a policy or to see why a command fails
inside the sandbox.`,
		Example: `  cadre sandbox -- go test ./...
  cadre sandbox --workdir /tmp/wt -- sh -c 'cat ~/.ssh/id_rsa'   # denied`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.Argv = args
			code, err := sandbox.RunCLI(c.Context(), o, f.IO.In, f.IO.Out, f.IO.ErrOut)
			if err != nil {
				if errors.Is(err, sandbox.ErrInvalidPolicy) {
					return usageError{err}
				}
				if errors.Is(err, sandbox.ErrForbidden) {
					fmt.Fprintln(f.IO.ErrOut, "cadre:", err)
					return exitError{code: code}
				}
				return err
			}
			if code != 0 {
				return exitError{code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Workdir, "workdir", "", "the worktree the command runs in (default: the current directory)")
	cmd.Flags().BoolVar(&o.Network, "network", false, "give the command the host's network (agents have none)")
	cmd.Flags().StringVar(&o.PolicyFile, "policy", "", "exec-policy rules file (TOML) added to the shipped rules")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 10*time.Minute, "wall-clock limit")
	return cmd
}

// NewCmdPolicy groups exec-policy commands.
func NewCmdPolicy(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Inspect the exec-policy rules agents' commands meet",
	}
	var file string
	check := &cobra.Command{
		Use:   "check [--policy FILE] -- CMD ARGS...",
		Short: "Print the decision (allow, prompt, forbidden) for a command and the rule that made it",
		Example: `  cadre policy check -- git push origin main
  cadre policy check -- bash -c "go test ./... && rm -rf /tmp/x"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			rules := execpolicy.Default()
			if file != "" {
				data, err := os.ReadFile(file)
				if err != nil {
					return usagef("--policy: %v", err)
				}
				custom, err := execpolicy.Parse(data, file)
				if err != nil {
					return usageError{err}
				}
				rules = rules.Merge(custom)
			}
			fmt.Fprintln(f.IO.Out, execpolicy.Format(rules.Check(args)))
			return nil
		},
	}
	check.Flags().StringVar(&file, "policy", "", "exec-policy rules file (TOML) added to the shipped rules")
	cmd.AddCommand(check)
	return cmd
}
