package worktree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Git runs the git CLI. dir is the working directory; env holds extra
// NAME=value entries (author, committer, dates) that override the runner's
// own environment. A failing command returns an error that names the command;
// implementations should return a *CommandError so that callers can read the
// exit status.
type Git interface {
	Run(ctx context.Context, dir string, env []string, stdin io.Reader, args ...string) (stdout []byte, err error)
}

// CommandError is the error of a git command that failed.
type CommandError struct {
	Args     []string // git arguments, without the hermetic -c options
	Dir      string
	ExitCode int    // -1 when the process did not exit normally
	Stderr   string // trimmed
	Err      error  // the underlying exec error
}

func (e *CommandError) Error() string {
	var b strings.Builder
	b.WriteString("git")
	for _, a := range e.Args {
		b.WriteByte(' ')
		if a == "" || strings.ContainsAny(a, " \t\n\"'") {
			fmt.Fprintf(&b, "%q", a)
		} else {
			b.WriteString(a)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Stderr != "" {
		b.WriteString(": ")
		b.WriteString(e.Stderr)
	}
	return b.String()
}

func (e *CommandError) Unwrap() error { return e.Err }

// exitCode returns the exit status carried by err, or -1.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ce *CommandError
	if errors.As(err, &ce) {
		return ce.ExitCode
	}
	return -1
}

// hermeticConfig is passed to every command run by ExecGit: no signing
// prompts, no hooks, no background gc or fsmonitor daemons.
var hermeticConfig = []string{
	"-c", "commit.gpgsign=false",
	"-c", "tag.gpgsign=false",
	"-c", "core.hooksPath=/dev/null",
	"-c", "core.fsmonitor=false",
	"-c", "gc.auto=0",
	"-c", "maintenance.auto=false",
	// Agents' worktrees are handed to the sandbox's unprivileged uid; the
	// supervisor still owns them and must not trip over git's ownership check.
	"-c", "safe.directory=*",
}

// keptGitEnv lists the GIT_* variables of the parent environment that ExecGit
// keeps: they tune discovery, config isolation, transport or tracing, never
// which repository, index or identity is used.
var keptGitEnv = map[string]bool{
	"GIT_CEILING_DIRECTORIES":         true,
	"GIT_DISCOVERY_ACROSS_FILESYSTEM": true,
	"GIT_CONFIG_NOSYSTEM":             true,
	"GIT_CONFIG_GLOBAL":               true,
	"GIT_CONFIG_SYSTEM":               true,
	"GIT_EXEC_PATH":                   true,
	"GIT_TEMPLATE_DIR":                true,
	"GIT_DEFAULT_HASH":                true,
	"GIT_ATTR_NOSYSTEM":               true,
	"GIT_NO_REPLACE_OBJECTS":          true,
	"GIT_SSH":                         true,
	"GIT_SSH_COMMAND":                 true,
	"GIT_ASKPASS":                     true,
	"GIT_TRACE":                       true,
	"GIT_TRACE2":                      true,
	"GIT_TRACE2_EVENT":                true,
	"GIT_TRACE2_PERF":                 true,
	"GIT_TRACE_PERFORMANCE":           true,
	"GIT_TRACE_SETUP":                 true,
}

// ExecGit is the default Git: it executes the git binary with a scrubbed
// environment (no inherited GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, author or
// committer; LC_ALL=C; no terminal prompts) and the hermetic -c options
// listed in the package documentation.
type ExecGit struct {
	// Path of the git binary; "git" (looked up in PATH) when empty.
	Path string
}

// Run implements Git.
func (g ExecGit) Run(ctx context.Context, dir string, env []string, stdin io.Reader, args ...string) ([]byte, error) {
	bin := g.Path
	if bin == "" {
		bin = "git"
	}
	full := make([]string, 0, len(hermeticConfig)+len(args))
	full = append(full, hermeticConfig...)
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Dir = dir
	cmd.Env = gitEnv(os.Environ(), env)
	cmd.Stdin = stdin
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", err, ctxErr)
		}
		return stdout.Bytes(), &CommandError{
			Args:     append([]string(nil), args...),
			Dir:      dir,
			ExitCode: code,
			Stderr:   strings.TrimSpace(stderr.String()),
			Err:      err,
		}
	}
	return stdout.Bytes(), nil
}

// gitEnv returns parent without the GIT_* variables that could redirect git
// to another repository, index or identity, plus fixed settings and extra.
func gitEnv(parent, extra []string) []string {
	out := make([]string, 0, len(parent)+len(extra)+4)
	for _, kv := range parent {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "GIT_"):
			if !keptGitEnv[name] {
				continue
			}
		case name == "LC_ALL" || name == "LANGUAGE":
			continue
		}
		out = append(out, kv)
	}
	out = append(out,
		"LC_ALL=C",
		"GIT_TERMINAL_PROMPT=0",
	)
	return append(out, extra...)
}

// refUpdateError wraps the error of a guarded update-ref with ErrRefMoved
// when git reports that the ref no longer had the expected old value.
func refUpdateError(err error) error {
	var ce *CommandError
	if errors.As(err, &ce) && (strings.Contains(ce.Stderr, "but expected") || strings.Contains(ce.Stderr, "reference already exists")) {
		return fmt.Errorf("%w: %w", ErrRefMoved, err)
	}
	return err
}
