package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Option changes how New builds a Runner.
type Option func(*options)

type execPath int

const (
	pathAuto execPath = iota
	pathReexec
	pathServer
)

type options struct {
	exe     string
	hostUID int
	hostGID int
	path    execPath
	shim    bool // start commands through the shim instead of ptrace+prlimit
}

// WithExecutable sets the binary re-executed as helper (default
// os.Executable()). It must call HelperMain first thing in main.
func WithExecutable(path string) Option { return func(o *options) { o.exe = path } }

// WithHostID sets the host uid/gid commands run as when the supervisor runs
// as root (default 65534:65534). Worktree, writable roots and the private
// dir are chowned to it before each command so the command can write them;
// root (the supervisor) can still read and write everything.
func WithHostID(uid, gid int) Option {
	return func(o *options) { o.hostUID, o.hostGID = uid, gid }
}

// WithReexec forces the re-exec path: fresh namespaces for every command.
func WithReexec() Option { return func(o *options) { o.path = pathReexec } }

// WithServer forces the exec-server path (no fallback to re-exec).
func WithServer() Option { return func(o *options) { o.path = pathServer } }

// DefaultHostID is the host uid and gid of commands when cadre runs as root.
const DefaultHostID = 65534

// nsUser is the uid/gid inside the namespace of commands when cadre runs as
// root (namespace root is then the helper only).
const nsUser = 1000

// New returns a Runner that applies p to every command. It fails with an
// error wrapping ErrUnavailable when the policy cannot be enforced here.
// Mode DangerFullAccess returns an unconfined runner.
func New(p Policy, opts ...Option) (Runner, error) {
	o := options{hostUID: DefaultHostID, hostGID: DefaultHostID}
	for _, f := range opts {
		f(&o)
	}
	rs, err := Rules(p)
	if err != nil {
		return nil, err
	}
	if !rs.Confined {
		return &plainRunner{p: p, rs: rs}, nil
	}
	if s := Probe(); !s.OK() {
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, s.Reason())
	}
	if o.exe == "" {
		if o.exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("sandbox: find own executable: %w", err)
		}
	}
	base := &confined{p: p, rs: rs, o: o}
	if err := base.prepare(true); err != nil {
		return nil, err
	}
	switch o.path {
	case pathReexec:
		return &reexecRunner{confined: base}, nil
	case pathServer:
		return startServer(base)
	}
	r, err := startServer(base)
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			return nil, err
		}
		return &reexecRunner{confined: base}, nil
	}
	return r, nil
}

// confined holds what both enforcing runners share.
type confined struct {
	p  Policy
	rs Ruleset
	o  options
}

func (c *confined) asRoot() bool { return os.Geteuid() == 0 && c.o.hostUID != 0 }

// prepare creates the private dirs and, as root, hands the writable roots
// to the command's host uid. all: also walk the private dir (New does; Run
// only walks the worktree side, which the supervisor may have written to).
func (c *confined) prepare(all bool) error {
	for _, d := range c.rs.PrivateDirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("sandbox: create private dir: %w", err)
		}
	}
	if !c.asRoot() {
		return nil
	}
	var roots []string
	for _, r := range c.rs.Paths {
		if r.Access&AccessWriteFile != 0 && r.Access&AccessMakeDir != 0 && (all || !within(c.p.PrivateDir, r.Path)) && r.Path != "/tmp" {
			roots = append(roots, r.Path)
		}
	}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) == c.o.hostUID && int(st.Gid) == c.o.hostGID {
				return nil
			}
			if err := os.Lchown(path, c.o.hostUID, c.o.hostGID); err != nil {
				return fmt.Errorf("sandbox: hand %s to uid %d: %w", path, c.o.hostUID, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *confined) sysProcAttr() *syscall.SysProcAttr {
	flags := uintptr(syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID)
	if c.rs.Namespaces.Net {
		flags |= syscall.CLONE_NEWNET
	}
	a := &syscall.SysProcAttr{Cloneflags: flags, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if c.asRoot() {
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: nsUser, HostID: c.o.hostUID, Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: nsUser, HostID: c.o.hostGID, Size: 1}}
		a.GidMappingsEnableSetgroups = true
	} else {
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	return a
}

func (c *confined) spec(argv []string, dir string) helperSpec {
	s := helperSpec{Rules: c.rs, Argv: argv, Dir: dir, Exe: c.o.exe, Shim: c.o.shim}
	if c.asRoot() {
		s.DropUID, s.DropGID = nsUser, nsUser
	}
	return s
}

// timeout is the wall limit of one command.
func (c *confined) timeout(cmd Command) time.Duration {
	t := c.rs.Wall
	if cmd.Timeout > 0 && cmd.Timeout < t {
		t = cmd.Timeout
	}
	return t
}

func (c *confined) check(cmd Command) (string, error) {
	if len(cmd.Argv) == 0 {
		return "", fmt.Errorf("%w: empty argv", ErrInvalidPolicy)
	}
	return resolveDir(c.p.Workdir, cmd.Dir)
}

// reexecRunner starts a fresh helper (fresh namespaces) for every command.
type reexecRunner struct{ *confined }

func (r *reexecRunner) Close() error { return nil }

func (r *reexecRunner) Run(ctx context.Context, cmd Command) (Result, error) {
	start := time.Now()
	dir, err := r.check(cmd)
	if err != nil {
		return Result{}, err
	}
	if err := r.prepare(false); err != nil {
		return Result{}, err
	}
	specR, specW, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: pipe: %w", err)
	}
	defer specW.Close()
	statR, statW, err := os.Pipe()
	if err != nil {
		specR.Close()
		return Result{}, fmt.Errorf("sandbox: pipe: %w", err)
	}
	defer statR.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		specR.Close()
		statW.Close()
		return Result{}, fmt.Errorf("sandbox: pipe: %w", err)
	}
	defer outR.Close()
	h := &exec.Cmd{
		Path:        r.o.exe,
		Args:        []string{r.o.exe, helperArg},
		Env:         []string{},
		Stdout:      outW,
		Stderr:      outW,
		ExtraFiles:  []*os.File{specR, statW},
		SysProcAttr: r.sysProcAttr(),
	}
	if len(cmd.Stdin) > 0 {
		h.Stdin = bytes.NewReader(cmd.Stdin)
	}
	err = h.Start()
	specR.Close()
	statW.Close()
	outW.Close()
	if err != nil {
		return Result{}, fmt.Errorf("%w: start helper: %v", ErrUnavailable, err)
	}
	data, _ := json.Marshal(r.spec(cmd.Argv, dir))
	_, _ = specW.Write(data)
	specW.Close()

	outc := make(chan captured, 1)
	go func() { outc <- capture(outR, r.rs.OutputBytes) }()
	waitc := make(chan error, 1)
	go func() { waitc <- h.Wait() }()

	timer := time.NewTimer(r.timeout(cmd))
	defer timer.Stop()
	var timedOut bool
	var ctxErr error
	select {
	case <-waitc:
	case <-timer.C:
		timedOut = true
		_ = h.Process.Kill()
		<-waitc
	case <-ctx.Done():
		ctxErr = ctx.Err()
		_ = h.Process.Kill()
		<-waitc
	}
	out := <-outc
	stData, _ := io.ReadAll(statR)
	res := out.result()
	res.Duration = time.Since(start)
	var st helperStatus
	if json.Unmarshal(bytes.TrimSpace(stData), &st) == nil && len(bytes.TrimSpace(stData)) > 0 {
		if st.Stage != "" {
			return res, setupErr(st)
		}
		res.ExitCode, res.Signal = st.Exit, st.Signal
	} else {
		ws, _ := h.ProcessState.Sys().(syscall.WaitStatus)
		res.ExitCode = 128 + int(syscall.SIGKILL)
		res.Signal = "SIGKILL"
		if ws.Signaled() {
			res.ExitCode, res.Signal = 128+int(ws.Signal()), unix.SignalName(ws.Signal())
		}
		if !timedOut && ctxErr == nil {
			return res, fmt.Errorf("sandbox: helper died without a status (%v)", h.ProcessState)
		}
	}
	res.TimedOut = timedOut
	if ctxErr != nil {
		return res, fmt.Errorf("sandbox: command canceled: %w", ctxErr)
	}
	return res, nil
}

func setupErr(st helperStatus) error {
	if st.Unavailable {
		return fmt.Errorf("%w: %s: %s", ErrUnavailable, st.Stage, st.Err)
	}
	return fmt.Errorf("sandbox: helper %s: %s", st.Stage, st.Err)
}

// plainRunner runs commands without confinement (DangerFullAccess).
type plainRunner struct {
	p  Policy
	rs Ruleset
	mu sync.Mutex
}

func (r *plainRunner) Close() error { return nil }

func (r *plainRunner) Run(ctx context.Context, cmd Command) (Result, error) {
	start := time.Now()
	if len(cmd.Argv) == 0 {
		return Result{}, fmt.Errorf("%w: empty argv", ErrInvalidPolicy)
	}
	dir, err := resolveDir(r.p.Workdir, cmd.Dir)
	if err != nil {
		return Result{}, err
	}
	path, err := lookPath(cmd.Argv[0], envGet(r.rs.Env, "PATH"))
	if err != nil {
		return Result{ExitCode: 127, Output: []byte("cadre: " + err.Error() + "\n"), Duration: time.Since(start)}, nil
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: pipe: %w", err)
	}
	defer outR.Close()
	c := &exec.Cmd{Path: path, Args: cmd.Argv, Dir: dir, Env: r.rs.Env, Stdout: outW, Stderr: outW,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true}}
	if len(cmd.Stdin) > 0 {
		c.Stdin = bytes.NewReader(cmd.Stdin)
	}
	err = c.Start()
	outW.Close()
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: start %s: %w", cmd.Argv[0], err)
	}
	lim := r.p.Limits.withDefaults()
	t := lim.Wall
	if cmd.Timeout > 0 && cmd.Timeout < t {
		t = cmd.Timeout
	}
	outc := make(chan captured, 1)
	go func() { outc <- capture(outR, lim.OutputBytes) }()
	waitc := make(chan error, 1)
	go func() { waitc <- c.Wait() }()
	timer := time.NewTimer(t)
	defer timer.Stop()
	var timedOut bool
	var ctxErr error
	select {
	case <-waitc:
	case <-timer.C:
		timedOut = true
	case <-ctx.Done():
		ctxErr = ctx.Err()
	}
	if timedOut || ctxErr != nil {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-waitc
	}
	// A background grandchild may hold the pipe: kill the group, then drain.
	_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	out := <-outc
	res := out.result()
	res.Duration = time.Since(start)
	res.TimedOut = timedOut
	ws, _ := c.ProcessState.Sys().(syscall.WaitStatus)
	st := waitStatus(ws)
	res.ExitCode, res.Signal = st.Exit, st.Signal
	if ctxErr != nil {
		return res, fmt.Errorf("sandbox: command canceled: %w", ctxErr)
	}
	return res, nil
}
