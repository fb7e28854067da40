package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/actors"
	"github.com/cadre-dev/cadre/actors/model/scripted"
	"github.com/cadre-dev/cadre/examples/demo"
	"github.com/cadre-dev/cadre/worktree"
)

// DemoOptions are the options of `cadre demo`.
type DemoOptions struct {
	IO      IOStreams
	Getenv  func(string) string
	Dir     string
	WireAPI string
	Sandbox string
	UI      bool
	// terminal reports whether the dashboard can open.
	terminal func() bool
}

// NewCmdDemo builds `cadre demo`: a real team fixes a real bug in a sample
// repository, driven by the scripted model server.
func NewCmdDemo(f *Factory, runF func(context.Context, *DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IO, Getenv: f.Getenv, terminal: f.IsTerminal}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch a real team fix a real bug, driven by the scripted model server",
		Long: `demo creates a small Go repository with two bugs and failing tests, starts
cadre's scripted model server (a stand-in that plays a bundled script of
tool calls; it is not a model and needs no API key) and runs a real team on
it: a planner, two coders on different files, a tester and a reviewer who
asks for one change. Every tool call is executed for real: patches, sandboxed
commands, git worktrees, commits and merges. The last line is
"result: <repo> <branch>"; go test ./... passes on that branch.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runDemo(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "directory to create the demo in (default: a new temporary directory)")
	cmd.Flags().StringVar(&opts.WireAPI, "wire-api", "responses", `wire API the agents speak to the scripted server: "responses" or "chat"`)
	cmd.Flags().StringVar(&opts.Sandbox, "sandbox", "workspace-write", `"workspace-write" or "off"`)
	cmd.Flags().BoolVar(&opts.UI, "ui", false, "watch the team in the dashboard (q closes it; the run goes on)")
	return cmd
}

func runDemo(ctx context.Context, o *DemoOptions) error {
	dir := o.Dir
	var err error
	if dir == "" {
		if dir, err = os.MkdirTemp("", "cadre-demo-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	repo := filepath.Join(dir, "textstat")
	if _, err := os.Stat(repo); err == nil {
		return usagef("%s already exists: give --dir a new directory", repo)
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return err
	}
	if err := demo.WriteRepo(repo); err != nil {
		return err
	}
	if err := gitInit(ctx, repo); err != nil {
		return err
	}
	script, err := scripted.ParseScript(demo.Script())
	if err != nil {
		return err
	}
	srv := scripted.NewServer(script)
	baseURL, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(o.IO.Out, "demo: sample repository %s (go test ./... fails there)\n", repo)
	fmt.Fprintf(o.IO.Out, "demo: scripted model server (a stand-in playing a script, not a model) at %s\n", baseURL)
	ro := &RunOptions{
		IO: o.IO, Getenv: func(string) string { return "" },
		Task: demo.Task, Repo: repo, StateDir: filepath.Join(dir, "state"),
		BaseURL: baseURL, APIKeyEnv: "CADRE_DEMO_NO_KEY", Model: "cadre-scripted", WireAPI: o.WireAPI,
		MaxWorking: 4, MaxTurns: 20, Sandbox: o.Sandbox, Approval: actors.ApprovalOnRequest,
		NoUI: !o.UI, terminal: o.terminal,
	}
	return runRun(ctx, ro)
}

// gitInit makes dir a repository with one commit on main.
func gitInit(ctx context.Context, dir string) error {
	g := worktree.ExecGit{}
	env := []string{"GIT_AUTHOR_NAME=cadre demo", "GIT_AUTHOR_EMAIL=demo@cadre.local",
		"GIT_COMMITTER_NAME=cadre demo", "GIT_COMMITTER_EMAIL=demo@cadre.local"}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"commit", "-q", "-m", "textstat: word counts and means (with two known bugs)"},
	} {
		if _, err := g.Run(ctx, dir, env, nil, args...); err != nil {
			return fmt.Errorf("create demo repository: %w", err)
		}
	}
	return nil
}
