package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cadre-dev/cadre/sandbox"
)

// Exit codes, mapped from errors in one place (exitCode).
const (
	exitOK     = 0
	exitFailed = 1 // the run (or command) failed
	exitUsage  = 2 // bad flags, arguments or configuration
)

// usageError marks an error caused by how cadre was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitError carries a specific exit status (e.g. of `cadre sandbox`).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// IOStreams are the streams a command reads and writes; tests replace them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// Factory carries what commands share.
type Factory struct {
	IO         IOStreams
	Getenv     func(string) string
	Version    string
	IsTerminal func() bool // stdout is a terminal: the dashboard may open
}

func run() int {
	sandbox.HelperMain() // returns unless this process is a sandbox helper
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := &Factory{IO: IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, Getenv: os.Getenv, Version: version,
		IsTerminal: func() bool { return term.IsTerminal(int(os.Stdout.Fd())) && term.IsTerminal(int(os.Stdin.Fd())) }}
	cmd := NewCmdRoot(f)
	cmd.SetArgs(os.Args[1:])
	err := cmd.ExecuteContext(ctx)
	return exitCode(f.IO.ErrOut, err)
}

func exitCode(errOut io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(errOut, "cadre:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailed
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "cadre",
		Short: "Supervise a team of LLM coding agents on a git repository",
		Long: `cadre runs a team of coding agents on one task: a planner at /root splits
the work, coders work in parallel in their own git worktrees and sandboxes, a
tester runs the tests and a reviewer approves or asks for changes. Every step
is journaled; the result is a branch you review and merge.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	root.AddCommand(
		NewCmdRun(f, nil, false),
		NewCmdRun(f, nil, true),
		NewCmdDemo(f, nil),
		NewCmdModelServer(f, nil),
		NewCmdVersion(f),
		NewCmdResume(f, nil),
		NewCmdClean(f),
		NewCmdFork(f),
		NewCmdUI(f),
		NewCmdLs(f),
		NewCmdShow(f),
		NewCmdLogs(f),
		NewCmdCancel(f),
		NewCmdBudget(f),
		NewCmdConfig(f),
		NewCmdPrompt(f),
		NewCmdApply(f, nil),
		NewCmdApprove(f),
		NewCmdSandbox(f),
		NewCmdPolicy(f),
	)
	return root
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}
