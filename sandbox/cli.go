package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cadre-dev/cadre/sandbox/execpolicy"
)

// CLIOptions are the flags of `cadre sandbox [--workdir DIR] [--network]
// [--policy FILE] -- CMD ARGS...`.
type CLIOptions struct {
	Workdir    string        // the worktree; default the current directory
	PrivateDir string        // default: <user cache dir>/cadre/sandbox/<name>-<hash of workdir>
	Network    bool          // NetHost instead of NetNone
	PolicyFile string        // exec-policy rules checked (with the defaults) before running
	Readable   []string      // extra readable roots
	Timeout    time.Duration // 0: the default wall limit
	Argv       []string
	Options    []Option // runner options (tests)
}

// ErrForbidden is returned by RunCLI when the exec policy forbids the command.
var ErrForbidden = errors.New("sandbox: command forbidden by exec policy")

// RunCLI runs one command exactly as an agent whose worktree is
// opts.Workdir would (AgentPolicy), copies its merged output to stdout and
// returns its exit status. stdin is passed to the command unless it is a
// terminal.
func RunCLI(ctx context.Context, opts CLIOptions, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(opts.Argv) == 0 {
		return 2, fmt.Errorf("%w: no command given", ErrInvalidPolicy)
	}
	wd := opts.Workdir
	if wd == "" {
		var err error
		if wd, err = os.Getwd(); err != nil {
			return 1, fmt.Errorf("sandbox: working directory: %w", err)
		}
	}
	wd, err := filepath.Abs(wd)
	if err != nil {
		return 1, fmt.Errorf("sandbox: workdir: %w", err)
	}
	rules := execpolicy.Default()
	if opts.PolicyFile != "" {
		data, err := os.ReadFile(opts.PolicyFile)
		if err != nil {
			return 1, fmt.Errorf("sandbox: read policy: %w", err)
		}
		custom, err := execpolicy.Parse(data, opts.PolicyFile)
		if err != nil {
			return 1, err
		}
		rules = rules.Merge(custom)
	}
	// The same rules an agent's command meets; a person running this is
	// the approver, so only "forbidden" stops it.
	d := rules.Check(opts.Argv)
	fmt.Fprintf(stderr, "cadre: exec policy: %s\n", execpolicy.Format(d))
	if d.Decision == execpolicy.Forbidden {
		return 126, fmt.Errorf("%w: %s", ErrForbidden, execpolicy.Format(d))
	}
	priv := opts.PrivateDir
	if priv == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		sum := sha256.Sum256([]byte(wd))
		priv = filepath.Join(base, "cadre", "sandbox", filepath.Base(wd)+"-"+hex.EncodeToString(sum[:6]))
	}
	p := AgentPolicy(wd, priv, opts.Readable...)
	if opts.Network {
		p.Network = NetHost
	}
	runOpts := []Option{WithReexec()}
	if os.Geteuid() == 0 {
		// Agents' worktrees belong to cadre and are handed to an
		// unprivileged uid before each command; a directory of the user's
		// is not: the command runs as its owner (still confined), so no
		// file changes hands.
		var st syscall.Stat_t
		if err := syscall.Stat(wd, &st); err != nil {
			return 1, fmt.Errorf("sandbox: workdir: %w", err)
		}
		runOpts = append(runOpts, WithHostID(int(st.Uid), int(st.Gid)))
	}
	r, err := New(p, append(runOpts, opts.Options...)...)
	if err != nil {
		return 1, err
	}
	defer r.Close()
	cmd := Command{Argv: opts.Argv, Timeout: opts.Timeout}
	if stdin != nil && !isTerminal(stdin) {
		if cmd.Stdin, err = io.ReadAll(stdin); err != nil {
			return 1, fmt.Errorf("sandbox: read stdin: %w", err)
		}
	}
	res, err := r.Run(ctx, cmd)
	if _, werr := stdout.Write(res.Output); werr != nil && err == nil {
		err = fmt.Errorf("sandbox: write output: %w", werr)
	}
	if res.TimedOut {
		fmt.Fprintf(stderr, "cadre: command timed out after %s\n", res.Duration.Round(time.Millisecond))
	}
	if err != nil {
		return 1, err
	}
	return res.ExitCode, nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
