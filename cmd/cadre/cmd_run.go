package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor"
	"github.com/cadre-dev/cadre/supervisor/journal"
	"github.com/cadre-dev/cadre/ui"
	"github.com/cadre-dev/cadre/worktree"
)

// RunOptions are the options of `cadre run` and `cadre exec`.
type RunOptions struct {
	IO       IOStreams
	Getenv   func(string) string
	JSONL    bool // exec: events as JSON lines on stdout
	Task     string
	Repo     string
	Base     string
	StateDir string

	BaseURL    string
	APIKeyEnv  string
	Model      string
	WireAPI    string
	MaxWorking int
	MaxTurns   int
	Sandbox    string
	TestCmd    string
	Team       string
	Against    string
	Approval   string
	PolicyFile string
	NoUI       bool
	// terminal reports whether the dashboard can open (stdout is a terminal).
	terminal func() bool
	// after: print events after this seq (a resumed run's new events).
	after uint64
	// flagChanged reports whether the user set a flag (config precedence).
	flagChanged func(string) bool
	// repoRoot, when set, is where the repository's configuration is
	// looked up (a resumed run's repository).
	repoRoot string
	// notify is the program the configuration runs on notable events.
	notify []string
}

// NewCmdRun builds `cadre run` (progress lines for a person) or, with
// jsonl, `cadre exec` (JSONL events for a program).
func NewCmdRun(f *Factory, runF func(context.Context, *RunOptions) error, jsonl bool) *cobra.Command {
	opts := &RunOptions{IO: f.IO, Getenv: f.Getenv, JSONL: jsonl, terminal: f.IsTerminal}
	cmd := &cobra.Command{
		Annotations: map[string]string{},
		Use:         "run [flags] TASK",
		Short:       "Run a team of agents on a task in a repository",
		Long: `Run a team on TASK in the repository at --repo: a planner at /root, coders,
a tester and a reviewer, each in its own worktree and sandbox. Progress is
printed one line per event; the last line is "result: <repo> <branch>".`,
		Example: `  cadre run --repo ~/src/app "fix the flaky TestLogin"
  cadre run --base-url http://127.0.0.1:8080/v1 --wire-api chat --model qwen "add a --json flag"`,
		Args: cobra.ArbitraryArgs,
	}
	if jsonl {
		cmd.Use = "exec [flags] TASK"
		cmd.Short = "Run a team non-interactively, printing JSONL events"
		cmd.Long = `Like run, for programs and CI: every journal event is printed as one JSON
object per line on stdout; diagnostics go to stderr. Exit status: 0 when the
run succeeded, 1 when it failed, 2 on bad usage.`
		cmd.Example = `  cadre exec --repo . "rename Foo to Bar" | jq -c 'select(.type=="merged")'`
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Repo, "repo", ".", "git repository to work on")
	fl.StringVar(&opts.Base, "base", "", "revision to start from (default HEAD); with --team review, the branch to review")
	fl.StringVar(&opts.Team, "team", "default", `team template: "default", "review", or NAME.toml in <repo>/.cadre/teams or ~/.config/cadre/teams`)
	fl.StringVar(&opts.Against, "against", "", "with --team review: what the branch is reviewed against (default main, else master)")
	fl.StringVar(&opts.BaseURL, "base-url", "", "OpenAI-compatible API base URL: a provider of its own (env CADRE_BASE_URL; config model_providers)")
	fl.StringVar(&opts.APIKeyEnv, "api-key-env", "", "environment variable holding the API key (env CADRE_API_KEY_ENV; config env_key; none is sent if it is empty)")
	fl.StringVar(&opts.Model, "model", "", "model id (env CADRE_MODEL; config model, default gpt-5-codex)")
	fl.StringVar(&opts.WireAPI, "wire-api", "", `"responses" or "chat" (env CADRE_WIRE_API; config wire_api)`)
	fl.IntVar(&opts.MaxWorking, "max-working", 4, "agents working at once, model turn or command (config limits.max_working)")
	fl.IntVar(&opts.MaxTurns, "max-turns", 60, "model turns per agent (config limits.max_turns)")
	fl.StringVar(&opts.Sandbox, "sandbox", "workspace-write", `"workspace-write" confines every command; "off" runs them unconfined (config sandbox_mode)`)
	fl.StringVar(&opts.TestCmd, "test-command", "", "the project's test command (config test_command; default: detected)")
	fl.StringVar(&opts.Approval, "approval-policy", "on-request", `when a person is asked before a command runs: "untrusted", "on-request" or "never" (config approval_policy)`)
	fl.StringVar(&opts.PolicyFile, "policy", "", "exec-policy rules file (TOML) added to the shipped rules")
	if !jsonl {
		fl.BoolVar(&opts.NoUI, "no-ui", false, "print plain progress lines instead of opening the dashboard")
	}
	_ = cmd.RegisterFlagCompletionFunc("approval-policy", cobra.FixedCompletions([]string{"untrusted", "on-request", "never"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("wire-api", cobra.FixedCompletions([]string{"responses", "chat"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("sandbox", cobra.FixedCompletions([]string{"workspace-write", "off"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("repo")
	runOptions[cmd] = opts
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usagef("%s needs a TASK (see --help)", c.CommandPath())
		}
		opts.Task = strings.Join(args, " ")
		opts.flagChanged = c.Flags().Changed
		if runF != nil {
			return runF(c.Context(), opts)
		}
		return runRun(c.Context(), opts)
	}
	return cmd
}

// runOptions maps a run command to its options, so resume can share run's
// flag set.
var runOptions = map[*cobra.Command]*RunOptions{}

func runOptionsOf(cmd *cobra.Command) *RunOptions { return runOptions[cmd] }

func runRun(ctx context.Context, o *RunOptions) error {
	spec, err := o.spec()
	if err != nil {
		return err
	}
	if spec.RootRole == "review_lead" {
		if spec.Task, err = reviewTask(ctx, o); err != nil {
			return err
		}
	}
	return supervise(ctx, o, func(sup *supervisor.Supervisor) (*supervisor.Run, error) {
		if !o.JSONL {
			if root, err := filepath.Abs(o.Repo); err == nil {
				if top, err := worktree.Open(ctx, root); err == nil {
					root = top.Root()
				}
				if runs, err := sup.Interrupted(root); err == nil {
					for _, r := range runs {
						fmt.Fprintf(o.IO.ErrOut, "cadre: run %s on this repository was interrupted (%q); resume it with: cadre resume %s\n", r.ID, oneLine(r.Task, 50), r.ID)
					}
				}
			}
		}
		return sup.Start(ctx, spec)
	})
}

// supervise opens the state, starts (or resumes) a run with start, serves
// the local API, shows the run (dashboard, progress lines or JSONL) and
// returns how it ended.
func supervise(ctx context.Context, o *RunOptions, start func(*supervisor.Supervisor) (*supervisor.Run, error)) error {
	state := o.StateDir
	var err error
	if state == "" {
		if state, err = supervisor.StateDir(); err != nil {
			return err
		}
	}
	sup, err := supervisor.Open(state, supervisor.Options{})
	if err != nil {
		return err
	}
	defer sup.Close()
	r, err := start(sup)
	if err != nil {
		if errors.Is(err, supervisor.ErrBadRepo) || errors.Is(err, supervisor.ErrNoTask) || errors.Is(err, worktree.ErrNotFound) ||
			errors.Is(err, worktree.ErrNotRepo) || errors.Is(err, supervisor.ErrFinished) || errors.Is(err, journal.ErrNoRun) {
			return usageError{err}
		}
		return err
	}
	apiCtx, stopAPI := context.WithCancel(context.Background())
	defer stopAPI()
	go func() {
		if err := sup.ServeAPI(apiCtx); err != nil {
			fmt.Fprintln(o.IO.ErrOut, "cadre: warning:", err)
		}
	}()
	if !o.JSONL {
		fmt.Fprintf(o.IO.Out, "run %s on %s (base %s, result branch %s)\n", r.ID, r.Repo.Root(), messaging.ShortCommit(r.Base), r.Result)
	}
	if !o.JSONL && !o.NoUI && o.terminal != nil && o.terminal() {
		// The dashboard closes with q; the run goes on with progress lines.
		if err := ui.Run(ctx, localSource{sup: sup}, r.ID, ui.Options{Prices: prices}); err != nil {
			fmt.Fprintln(o.IO.ErrOut, "cadre: dashboard:", err)
		}
	}
	out := o.IO.Out
	printed := make(chan error, 1)
	notify := newNotifier(o.notify, o.IO.ErrOut)
	defer notify.wait()
	go func() { printed <- follow(sup, r.ID, o.after, o.JSONL, out, notify.event) }()
	select {
	case <-ctx.Done():
		r.Suspend()
		return fmt.Errorf("run %s interrupted; its agents, messages and worktrees are kept: resume it with: cadre resume %s (or end it: cadre resume then cadre cancel)", r.ID, r.ID)
	case <-r.Done():
	}
	res := r.Wait()
	if err := <-printed; err != nil {
		return err
	}
	if !o.JSONL {
		fmt.Fprintf(o.IO.Out, "result: %s %s\n", r.Repo.Root(), res.ResultBranch)
	}
	switch {
	case res.Err != nil:
		return fmt.Errorf("run %s %s: %w", r.ID, res.Status, res.Err)
	case res.Status != messaging.StatusSucceeded:
		return fmt.Errorf("run %s %s", r.ID, res.Status)
	}
	return nil
}

// follow prints a run's events until its run_finished event.
func follow(sup *supervisor.Supervisor, run string, after uint64, jsonl bool, w io.Writer, onEvent func(messaging.Event)) error {
	sub := sup.Subscribe(run, after)
	defer sub.Close()
	p := newProgress(w)
	enc := json.NewEncoder(w)
	for ev := range sub.C {
		onEvent(ev)
		if jsonl {
			if err := enc.Encode(ev); err != nil {
				return err
			}
		} else {
			p.print(ev)
		}
		if ev.EndsStream() {
			return nil
		}
	}
	return sub.Err()
}
