package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/ui"
	"github.com/cadre-dev/cadre/worktree"
)

// ApplyOptions are the options of cadre apply.
type ApplyOptions struct {
	IO       IOStreams
	StateDir string
	Run      string
	Repo     string // the repository to apply to; "" = the run's
	Merge    bool
	Checkout bool
	Yes      bool
	Force    bool
	// StdinTerminal reports whether IO.In is a terminal a person can answer
	// a question on.
	StdinTerminal func() bool
}

// applyBranchPrefix names the branch --checkout creates: cadre-apply/RUN.
const applyBranchPrefix = "cadre-apply/"

// NewCmdApply shows a run's final report and diff and applies its result to
// the user's repository. runF replaces applyRun in tests.
func NewCmdApply(f *Factory, runF func(context.Context, *ApplyOptions) error) *cobra.Command {
	o := &ApplyOptions{IO: f.IO, StdinTerminal: func() bool {
		in, ok := f.IO.In.(*os.File)
		return ok && term.IsTerminal(int(in.Fd()))
	}}
	cmd := &cobra.Command{
		Use:   "apply RUN [--merge | --checkout] [--yes]",
		Short: "Show a run's report and diff, then merge its result into your branch",
		Long: `apply prints the final report of a run (what changed and by which agent, the
last test results, the review verdicts, tokens and cost per agent) and the
diff of its result branch against the commit the run started from. Then,
once you confirm (or with --yes), it applies the result to your repository:

  --merge (default)  merge the result into the branch checked out in your
                     repository with one merge commit "cadre: apply run RUN",
                     never a fast-forward, so that git revert -m 1 undoes
                     the whole run
  --checkout         create the branch cadre-apply/RUN at the result and
                     check it out; your branch stays where it is

apply changes nothing when your working tree has uncommitted changes or
untracked files (it lists them), when a merge would conflict (it lists the
conflicting paths), when HEAD is detached (--merge), or when the run did not
succeed (unless --force). Without --yes, and with stdin not a terminal, it
only shows the report and the diff and says how to apply them.

The repository is the one the run was started in, or --repo.`,
		Example: `  cadre apply r-20261123-ab12
  cadre apply r-20261123-ab12 --yes
  cadre apply r-20261123-ab12 --checkout --repo ~/src/app`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if o.Merge && o.Checkout {
				return usagef("give at most one of --merge or --checkout")
			}
			o.Run = args[0]
			if runF != nil {
				return runF(c.Context(), o)
			}
			return applyRun(c.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.Merge, "merge", false, "merge the result into the checked-out branch (the default)")
	cmd.Flags().BoolVar(&o.Checkout, "checkout", false, "create and check out the branch "+applyBranchPrefix+"RUN at the result instead of merging")
	cmd.Flags().StringVar(&o.Repo, "repo", "", "the repository to apply to (default: the one the run was started in)")
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "apply without asking")
	cmd.Flags().BoolVar(&o.Force, "force", false, "apply the result of a run that did not succeed (failed, cancelled, interrupted or running)")
	addStateFlag(cmd, &o.StateDir)
	return cmd
}

func applyRun(ctx context.Context, o *ApplyOptions) error {
	rep, err := loadReport(ctx, o.StateDir, o.Run)
	if err != nil {
		return err
	}
	path := o.Repo
	if path == "" {
		if path = rep.Repo; path == "" {
			return usagef("run %s records no repository: give --repo DIR", o.Run)
		}
	}
	repo, err := worktree.Open(ctx, path)
	if err != nil {
		if o.Repo == "" {
			return fmt.Errorf("the repository of run %s: %w (give --repo DIR)", o.Run, err)
		}
		return usageError{err}
	}

	base, err := applyCommit(ctx, repo, rep.BaseCommit, "base")
	if err != nil {
		return err
	}
	result, resultErr := applyResult(ctx, o, repo, rep)
	diff := ""
	if resultErr == nil {
		rep.ResultCommit = result
		if rep.Diffstat, err = repo.DiffStat(ctx, base, result); err != nil {
			return err
		}
		if diff, err = repo.Diff(ctx, base, result); err != nil {
			return err
		}
	}
	if err := WriteReport(o.IO.Out, rep); err != nil {
		return err
	}
	if diff != "" {
		fmt.Fprintf(o.IO.Out, "\ngit diff %s..%s\n%s", messaging.ShortCommit(base), messaging.ShortCommit(result), diff)
	}
	if rep.Status != messaging.StatusSucceeded && !o.Force {
		why := "did not succeed: it is " + rep.Status
		if rep.Status == "running" {
			why = "is still running"
		}
		return fmt.Errorf("run %s %s; nothing was applied (--force applies its result branch anyway)", o.Run, why)
	}
	if resultErr != nil {
		return resultErr
	}
	if result == base {
		fmt.Fprintf(o.IO.Out, "\nNothing to apply: run %s changed nothing.\n", o.Run)
		return nil
	}
	head, branch, err := repo.Head(ctx)
	if err != nil {
		return err
	}
	var action string
	if o.Checkout {
		action = fmt.Sprintf("create branch %s%s at %s and check it out in %s", applyBranchPrefix, o.Run, messaging.ShortCommit(result), repo.Root())
	} else {
		if branch == "" {
			return fmt.Errorf("HEAD of %s is detached (at %s): check out the branch to merge into, or use --checkout; nothing was applied",
				repo.Root(), messaging.ShortCommit(head))
		}
		if done, err := repo.IsAncestor(ctx, result, head); err != nil {
			return err
		} else if done {
			fmt.Fprintf(o.IO.Out, "\nAlready applied: %s of %s contains %s.\n", branch, repo.Root(), messaging.ShortCommit(result))
			return nil
		}
		action = fmt.Sprintf("merge %s (%s) into %s in %s", reportOnBranch(rep.ResultBranch, ""), messaging.ShortCommit(result), branch, repo.Root())
	}
	if err := repo.CheckClean(ctx); err != nil {
		return applyError(repo, err)
	}

	if !o.Yes {
		if o.StdinTerminal == nil || !o.StdinTerminal() {
			fmt.Fprintf(o.IO.Out, "\nNot applied (stdin is not a terminal). To %s, run:\n  %s\n", action, applyCommand(o))
			return nil
		}
		fmt.Fprintf(o.IO.ErrOut, "\n%s%s? [y/N] ", strings.ToUpper(action[:1]), action[1:])
		answer, _ := bufio.NewReader(o.IO.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(o.IO.Out, "Not applied.")
			return nil
		}
	}

	if o.Checkout {
		name := applyBranchPrefix + o.Run
		if err := repo.CheckoutNewBranch(ctx, name, result); err != nil {
			return applyError(repo, err)
		}
		fmt.Fprintf(o.IO.Out, "Checked out %s at %s in %s.\n", name, messaging.ShortCommit(result), repo.Root())
		return nil
	}
	msg := fmt.Sprintf("cadre: apply run %s\n\nTask: %s\nResult: %s\n", o.Run, oneLine(rep.Task, 200), reportOnBranch(rep.ResultBranch, result))
	res, err := repo.MergeInto(ctx, result, msg)
	if err != nil {
		return applyError(repo, err)
	}
	if res.UpToDate {
		fmt.Fprintf(o.IO.Out, "Already applied: %s contains %s.\n", branch, messaging.ShortCommit(result))
		return nil
	}
	fmt.Fprintf(o.IO.Out, "Merged run %s into %s: %s.\n", o.Run, branch, messaging.ShortCommit(res.Commit))
	return nil
}

// applyResult returns the commit to apply: the result the run recorded when
// it finished, else (a run still going or killed) its result branch's tip.
func applyResult(ctx context.Context, o *ApplyOptions, repo *worktree.Repo, rep RunReport) (string, error) {
	tip, tipErr := repo.ResolveCommit(ctx, "refs/heads/"+rep.ResultBranch)
	if rep.ResultCommit == "" {
		if tipErr != nil {
			return "", fmt.Errorf("run %s has no result commit yet and its branch %s is not in %s: %w", o.Run, rep.ResultBranch, repo.Root(), tipErr)
		}
		return tip, nil
	}
	result, err := applyCommit(ctx, repo, rep.ResultCommit, "result")
	if err != nil {
		return "", err
	}
	if tipErr == nil && tip != result {
		fmt.Fprintf(o.IO.ErrOut, "note: %s has moved to %s since the run finished; applying the run's result %s\n",
			rep.ResultBranch, messaging.ShortCommit(tip), messaging.ShortCommit(result))
	}
	return result, nil
}

// loadReport reads a run's journal and folds its report.
func loadReport(ctx context.Context, state, run string) (RunReport, error) {
	var evs []messaging.Event
	var sum *messaging.RunSummary
	err := withSource(state, func(src ui.Source) error {
		runs, err := src.Runs(ctx)
		if err != nil {
			return err
		}
		for i := range runs {
			if runs[i].ID == run {
				sum = &runs[i]
			}
		}
		return collect(ctx, src, run, false, func(ev messaging.Event) { evs = append(evs, ev) })
	})
	if err != nil {
		return RunReport{}, err
	}
	rep := BuildReport(evs, prices)
	if rep.BaseCommit == "" {
		return RunReport{}, fmt.Errorf("run %s has no run_started event with its base commit", run)
	}
	// A run that stopped without a run_finished or run_suspended event (its
	// process was killed) is "running" in its events, "interrupted" in the
	// journal's summary.
	if !rep.Finished && rep.Status == "running" && sum != nil && !sum.Active && sum.Status != "" {
		rep.Status = sum.Status
	}
	return rep, nil
}

// applyCommit resolves a commit the run recorded in the repository.
func applyCommit(ctx context.Context, repo *worktree.Repo, commit, what string) (string, error) {
	c, err := repo.ResolveCommit(ctx, commit)
	if errors.Is(err, worktree.ErrUnknownRevision) {
		return "", fmt.Errorf("the run's %s commit %s is not in %s (is it the run's repository? fetch it first)", what, messaging.ShortCommit(commit), repo.Root())
	}
	return c, err
}

// applyError explains a refusal of the worktree package to the user.
func applyError(repo *worktree.Repo, err error) error {
	var pe *worktree.PathsError
	if !errors.As(err, &pe) {
		return err
	}
	list := "\n  " + strings.Join(pe.Paths, "\n  ")
	switch {
	case errors.Is(err, worktree.ErrDirty):
		return fmt.Errorf("%s has uncommitted changes or untracked files; commit or stash them, then apply again (nothing was changed):%s", repo.Root(), list)
	case errors.Is(err, worktree.ErrConflict):
		return fmt.Errorf("%s would conflict; nothing was changed (--checkout puts the result on its own branch instead). Conflicting paths:%s", pe.Op, list)
	}
	return err
}

// applyCommand is the command line that applies without asking.
func applyCommand(o *ApplyOptions) string {
	args := []string{"cadre", "apply", o.Run}
	if o.Checkout {
		args = append(args, "--checkout")
	}
	if o.Repo != "" {
		args = append(args, "--repo", applyQuote(o.Repo))
	}
	if o.StateDir != "" {
		args = append(args, "--state-dir", applyQuote(o.StateDir))
	}
	if o.Force {
		args = append(args, "--force")
	}
	return strings.Join(append(args, "--yes"), " ")
}

func applyQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
