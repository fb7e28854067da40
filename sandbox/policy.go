package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cadre-dev/cadre/sandbox/gocache"
)

// ErrUnavailable is wrapped by every error that means "this policy cannot be
// enforced on this machine" (no Landlock, a too old Landlock ABI, user or
// network namespaces refused). Callers fail closed on it.
var ErrUnavailable = errors.New("sandbox: confinement unavailable")

// ErrInvalidPolicy is wrapped by errors about a malformed Policy or Command
// (relative paths, a Dir escaping the worktree, an empty argv).
var ErrInvalidPolicy = errors.New("sandbox: invalid policy")

// Mode says how much of the file system a command may change.
type Mode int

const (
	// WorkspaceWrite (the default) lets the command write its worktree, its
	// private directory and the extra Writable roots.
	WorkspaceWrite Mode = iota
	// ReadOnly lets the command write only its private directory (HOME, TMPDIR).
	ReadOnly
	// DangerFullAccess runs the command without any confinement. Only when the
	// user chose it explicitly; the caller warns.
	DangerFullAccess
)

func (m Mode) String() string {
	switch m {
	case WorkspaceWrite:
		return "workspace-write"
	case ReadOnly:
		return "read-only"
	case DangerFullAccess:
		return "danger-full-access"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Network says what network a command sees.
type Network int

const (
	// NetNone (the default) gives the command a fresh network namespace where
	// only loopback is up: it can serve and reach 127.0.0.1 of its own, never
	// the host's.
	NetNone Network = iota
	// NetHost shares the host's network.
	NetHost
)

func (n Network) String() string {
	if n == NetHost {
		return "host"
	}
	return "none"
}

// Limits bounds the resources of one command. Zero fields take the defaults
// of DefaultLimits.
type Limits struct {
	Wall          time.Duration // wall-clock time of one command
	CPUSeconds    uint64        // RLIMIT_CPU
	MemoryBytes   uint64        // RLIMIT_AS
	Processes     uint64        // RLIMIT_NPROC (counted per user namespace)
	FileSizeBytes uint64        // RLIMIT_FSIZE
	OutputBytes   int           // cap on the captured output
}

// DefaultLimits are used for zero fields of Policy.Limits.
var DefaultLimits = Limits{
	Wall:          10 * time.Minute,
	CPUSeconds:    600,
	MemoryBytes:   8 << 30,
	Processes:     4096,
	FileSizeBytes: 4 << 30,
	OutputBytes:   1 << 20,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.Wall > 0 {
		d.Wall = l.Wall
	}
	if l.CPUSeconds > 0 {
		d.CPUSeconds = l.CPUSeconds
	}
	if l.MemoryBytes > 0 {
		d.MemoryBytes = l.MemoryBytes
	}
	if l.Processes > 0 {
		d.Processes = l.Processes
	}
	if l.FileSizeBytes > 0 {
		d.FileSizeBytes = l.FileSizeBytes
	}
	if l.OutputBytes > 0 {
		d.OutputBytes = l.OutputBytes
	}
	return d
}

// Policy is the confinement of every command of one agent, as data.
type Policy struct {
	Mode       Mode
	Workdir    string   // the agent's worktree (absolute)
	Writable   []string // extra writable roots (absolute)
	WriteLease []string // if non-empty, only these paths inside Workdir are writable
	Readable   []string // extra readable roots (absolute)
	PrivateDir string   // HOME, TMPDIR and caches live here; created if missing
	Network    Network
	Limits     Limits
	EnvAllow   []string          // names passed through from the supervisor's env
	Env        map[string]string // extra env set by the supervisor
}

// Command is one command to run under a Policy.
type Command struct {
	Argv    []string
	Dir     string // relative to Workdir, must stay inside it
	Stdin   []byte
	Timeout time.Duration // overrides Limits.Wall if smaller
}

// Result is what a command did. A non-zero exit is not an error.
type Result struct {
	ExitCode  int
	Output    []byte // stdout and stderr interleaved, capped
	Truncated bool
	TimedOut  bool
	Signal    string // name of the signal that killed the command, if any
	Duration  time.Duration
}

// Runner runs commands of one agent under one Policy.
type Runner interface {
	Run(ctx context.Context, cmd Command) (Result, error)
	Close() error
}

// DefaultEnvAllow is the list of names AgentPolicy passes through.
var DefaultEnvAllow = []string{"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "GOFLAGS", "GOEXPERIMENT", "CGO_ENABLED"}

// AgentPolicy is the policy every agent (and `cadre sandbox`) runs with:
// workspace-write on workdir, HOME and caches in privateDir, no network, the
// default limits and environment, and read-only use of the host's Go build
// cache (ShareGoCache). extraReadable are added to the readable
// roots (e.g. the repository's object store of a linked worktree).
func AgentPolicy(workdir, privateDir string, extraReadable ...string) Policy {
	p := Policy{
		Mode:       WorkspaceWrite,
		Workdir:    workdir,
		PrivateDir: privateDir,
		Readable:   append([]string(nil), extraReadable...),
		Network:    NetNone,
		EnvAllow:   append([]string(nil), DefaultEnvAllow...),
		// go build would run git for VCS stamping; agents never run git.
		Env: map[string]string{"GOFLAGS": "-buildvcs=false"},
	}
	exe, err := os.Executable()
	if err != nil {
		return p
	}
	return ShareGoCache(p, exe)
}

// ShareGoCache lets the policy's go commands read the host's build cache
// (`go env GOCACHE` of the supervisor) without writing to it: exe (the cadre
// binary, which serves the GOCACHEPROG protocol) layers the agent's private
// cache over it. Nothing changes when the host has no Go or no cache.
func ShareGoCache(p Policy, exe string) Policy {
	host := hostGoCache()
	if host == "" || exe == "" || p.Mode == DangerFullAccess {
		return p
	}
	env := make(map[string]string, len(p.Env)+2)
	for k, v := range p.Env {
		env[k] = v
	}
	for _, kv := range gocache.Env(exe, host, filepath.Join(p.PrivateDir, "cache", "go-build")) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	p.Env = env
	p.Readable = append(append([]string(nil), p.Readable...), host)
	return p
}

var (
	hostCacheOnce sync.Once
	hostCacheDir  string
)

func hostGoCache() string {
	hostCacheOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOCACHE").Output()
		if err != nil {
			return
		}
		dir := strings.TrimSpace(string(out))
		if st, err := os.Stat(dir); err == nil && st.IsDir() && filepath.IsAbs(dir) {
			hostCacheDir = dir
		}
	})
	return hostCacheDir
}

func (p Policy) validate() error {
	if p.Workdir == "" || !filepath.IsAbs(p.Workdir) {
		return fmt.Errorf("%w: Workdir %q must be absolute", ErrInvalidPolicy, p.Workdir)
	}
	if p.PrivateDir == "" || !filepath.IsAbs(p.PrivateDir) {
		return fmt.Errorf("%w: PrivateDir %q must be absolute", ErrInvalidPolicy, p.PrivateDir)
	}
	for _, list := range [][]string{p.Writable, p.Readable, p.WriteLease} {
		for _, d := range list {
			if !filepath.IsAbs(d) {
				return fmt.Errorf("%w: path %q must be absolute", ErrInvalidPolicy, d)
			}
		}
	}
	for _, d := range p.WriteLease {
		if !within(p.Workdir, d) {
			return fmt.Errorf("%w: write lease %q is outside the worktree %q", ErrInvalidPolicy, d, p.Workdir)
		}
	}
	switch p.Mode {
	case WorkspaceWrite, ReadOnly, DangerFullAccess:
	default:
		return fmt.Errorf("%w: unknown mode %v", ErrInvalidPolicy, p.Mode)
	}
	return nil
}

// within reports whether path is root or below it (lexically).
func within(root, path string) bool {
	rel, err := filepath.Rel(filepath.Clean(root), filepath.Clean(path))
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !startsWithDotDot(rel))
}

func startsWithDotDot(rel string) bool {
	return len(rel) >= 3 && rel[:3] == ".."+string(filepath.Separator)
}

// resolveDir returns the absolute directory of cmd inside workdir.
func resolveDir(workdir, dir string) (string, error) {
	if dir == "" {
		return filepath.Clean(workdir), nil
	}
	if filepath.IsAbs(dir) {
		return "", fmt.Errorf("%w: Dir %q must be relative to the worktree", ErrInvalidPolicy, dir)
	}
	abs := filepath.Join(workdir, dir)
	if !within(workdir, abs) {
		return "", fmt.Errorf("%w: Dir %q leaves the worktree", ErrInvalidPolicy, dir)
	}
	return abs, nil
}
