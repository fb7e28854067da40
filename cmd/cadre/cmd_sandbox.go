package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
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
			if os.Geteuid() == 0 {
				// Agents' worktrees belong to cadre and are handed to an
				// unprivileged uid; a directory of yours is not: the command
				// runs as its owner (still confined), so nothing changes hands.
				uid, gid, err := ownerOf(o.Workdir)
				if err != nil {
					return usageError{err}
				}
				o.Options = append(o.Options, sandbox.WithHostID(uid, gid))
			}
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

func ownerOf(dir string) (uid, gid int, err error) {
	if dir == "" {
		dir = "."
	}
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("--workdir: %w", err)
	}
	return int(st.Uid), int(st.Gid), nil
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
