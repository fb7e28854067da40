package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/cadre-dev/cadre/sandbox/gocache"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// helperArg is argv[1] of a re-executed helper; shimArg of the per-command
// shim of the exec server.
const (
	helperArg = "__cadre_sandbox_helper"
	serverArg = "__cadre_sandbox_server"
	shimArg   = "__cadre_sandbox_shim"
)

// File descriptors of a helper: 3 = spec (read), 4 = status (write). The
// server gets its control socket on 3.
const (
	specFD   = 3
	statusFD = 4
)

// helperSpec is what the runner sends to the helper on specFD.
type helperSpec struct {
	Rules   Ruleset
	Argv    []string
	Dir     string
	Exe     string // the helper's own executable, mounted read-only (the server re-executes it as shim)
	DropUID int    // uid inside the namespace the command runs as; 0 = stay 0 without capabilities
	DropGID int
	Shim    bool // always start commands through the shim (tests of the fallback)
}

// helperStatus is what the helper reports on statusFD.
type helperStatus struct {
	Stage       string `json:",omitempty"` // set when setup failed
	Err         string `json:",omitempty"`
	Unavailable bool   `json:",omitempty"`
	Exit        int
	Signal      string `json:",omitempty"`
	NotFound    bool   `json:",omitempty"`
}

// HelperMain must be the first call of main (and of TestMain in tests that
// create runners). In a process started by a Runner as its confinement
// helper it sets up the namespaces, mounts, limits and Landlock, runs the
// command and exits, never returning. In any other process it returns at once.
func HelperMain() {
	if len(os.Args) < 2 {
		return
	}
	switch os.Args[1] {
	case gocache.ArgMarker:
		if len(os.Args) != 4 {
			fmt.Fprintln(os.Stderr, "cadre: usage: cadre "+gocache.ArgMarker+" LOWER UPPER")
			os.Exit(2)
		}
		if err := gocache.Main(os.Args[2], os.Args[3], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "cadre gocache:", err)
			os.Exit(1)
		}
		os.Exit(0)
	case helperArg:
		runtime.LockOSThread()
		os.Exit(helperRun())
	case serverArg:
		runtime.LockOSThread()
		os.Exit(serverRun())
	case shimArg:
		runtime.LockOSThread()
		os.Exit(shimRun())
	}
}

type setupError struct {
	stage       string
	err         error
	unavailable bool
}

func (e *setupError) Error() string { return e.stage + ": " + e.err.Error() }

func fail(stage string, err error) *setupError { return &setupError{stage: stage, err: err} }

func writeStatus(w io.Writer, st helperStatus) {
	b, _ := json.Marshal(st)
	_, _ = w.Write(append(b, '\n'))
}

func statusOf(err error) helperStatus {
	var se *setupError
	if errors.As(err, &se) {
		return helperStatus{Stage: se.stage, Err: se.err.Error(), Unavailable: se.unavailable}
	}
	return helperStatus{Stage: "setup", Err: err.Error()}
}

func readSpec(f *os.File) (helperSpec, error) {
	var spec helperSpec
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return spec, fail("read spec", err)
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return spec, fail("decode spec", err)
	}
	return spec, nil
}

// helperRun is the re-exec path: pid 1 of fresh namespaces, runs one command.
func helperRun() int {
	status := os.NewFile(statusFD, "status")
	spec, err := readSpec(os.NewFile(specFD, "spec"))
	if err == nil {
		err = confine(spec)
	}
	if err != nil {
		writeStatus(status, statusOf(err))
		return 125
	}
	pid, err := startCommand(spec, spec.Argv, spec.Dir, []uintptr{0, 1, 2})
	if err != nil {
		st := helperStatus{Exit: 126, Stage: "start", Err: err.Error()}
		if errors.As(err, new(errNotFound)) {
			fmt.Fprintf(os.Stderr, "cadre: %v\n", err)
			st = helperStatus{Exit: 127, NotFound: true}
		}
		writeStatus(status, st)
		return st.Exit
	}
	forwardSignals(pid)
	st := reapUntil(pid)
	writeStatus(status, st)
	return st.Exit
}

// forwardSignals passes termination signals the helper gets to the
// command's process group (pid 1 of a namespace has no default handlers).
func forwardSignals(pgid int) {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	go func() {
		for s := range c {
			_ = syscall.Kill(-pgid, s.(syscall.Signal))
		}
	}()
}

// reapUntil reaps every child (pid 1 inherits orphans) until pid exits.
func reapUntil(pid int) helperStatus {
	for {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return helperStatus{Exit: 125, Stage: "wait", Err: err.Error()}
		}
		if wpid == pid {
			return waitStatus(ws)
		}
	}
}

func waitStatus(ws syscall.WaitStatus) helperStatus {
	if ws.Signaled() {
		return helperStatus{Exit: 128 + int(ws.Signal()), Signal: unix.SignalName(ws.Signal())}
	}
	return helperStatus{Exit: ws.ExitStatus()}
}

// confine applies namespaces-side setup, Landlock and the privilege drop of
// spec to this process (and to the locked thread that forks commands). The
// rlimits are set by the shim, so they never bind the helper itself.
func confine(spec helperSpec) error {
	rs := spec.Rules
	if len(spec.Argv) == 0 {
		return fail("spec", errors.New("empty argv"))
	}
	closeExtraFDs()
	if rs.Namespaces.Net {
		if err := loopbackUp(); err != nil {
			return fail("loopback", err)
		}
	}
	if rs.Namespaces.Mount {
		if err := setupMounts(rs, spec.Exe); err != nil {
			return err
		}
	}
	if err := os.Chdir(spec.Dir); err != nil {
		return fail("chdir", err)
	}
	if err := landlockRestrict(rs, spec.Exe); err != nil {
		return err
	}
	return dropPrivileges(spec.DropUID, spec.DropGID)
}

func closeExtraFDs() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}

// loopbackUp sets IFF_UP on "lo" of the (fresh) network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set flags: %w", err)
	}
	return nil
}

// effectiveMounts drops mounts that a recursive bind of another mount
// already shows at the same place.
func effectiveMounts(ms []Mount) []Mount {
	sorted := append([]Mount(nil), ms...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i].Target) < len(sorted[j].Target) })
	var out []Mount
	for _, m := range sorted {
		covered := false
		for _, o := range out {
			if o.Source == o.Target && m.Source == m.Target && within(o.Target, m.Target) {
				covered = true
				break
			}
			if o.Target == m.Target {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, m)
		}
	}
	return out
}

// setupMounts builds a new root that holds only the mounts of the ruleset
// (so host sockets in /run, /tmp, $HOME simply do not exist), a fresh /proc
// and the usual /dev nodes, and pivots into it.
func setupMounts(rs Ruleset, exe string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fail("make mounts private", err)
	}
	ms := rs.Mounts
	if exe != "" {
		ms = append(append([]Mount(nil), ms...), Mount{Source: exe, Target: exe})
	}
	type cloned struct {
		Mount
		fd  int
		dir bool
	}
	var clones []cloned
	defer func() {
		for _, c := range clones {
			unix.Close(c.fd)
		}
	}()
	for _, m := range effectiveMounts(ms) {
		st, err := os.Stat(m.Source)
		if err != nil {
			continue // missing paths: rules decide whether that is fatal
		}
		fd, err := unix.OpenTree(unix.AT_FDCWD, m.Source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
		if err != nil {
			return fail("clone mount "+m.Source, err)
		}
		clones = append(clones, cloned{Mount: m, fd: fd, dir: st.IsDir()})
	}
	staging := ""
	for _, d := range []string{"/tmp", "/mnt", "/var/tmp", "/dev"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			staging = d
			break
		}
	}
	if staging == "" {
		return fail("mount root", errors.New("no directory to stage the new root on"))
	}
	if err := unix.Mount("tmpfs", staging, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=16m"); err != nil {
		return fail("mount root tmpfs", err)
	}
	for _, c := range clones {
		dst := filepath.Join(staging, c.Target)
		if c.dir {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fail("mkdir "+c.Target, err)
			}
		} else {
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return fail("mkdir "+c.Target, err)
			}
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return fail("create "+c.Target, err)
			}
			f.Close()
		}
		if err := unix.MoveMount(c.fd, "", unix.AT_FDCWD, dst, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fail("mount "+c.Target, err)
		}
	}
	for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		_ = os.MkdirAll(filepath.Join(staging, "dev"), 0o755)
		_ = os.Symlink(target, filepath.Join(staging, "dev", name))
	}
	proc := filepath.Join(staging, "proc")
	if err := os.MkdirAll(proc, 0o555); err != nil {
		return fail("mkdir /proc", err)
	}
	if err := unix.Mount("proc", proc, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return &setupError{stage: "mount /proc", err: err, unavailable: true}
	}
	if err := os.Chdir(staging); err != nil {
		return fail("chdir new root", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fail("pivot_root", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fail("detach old root", err)
	}
	if err := os.Chdir("/"); err != nil {
		return fail("chdir /", err)
	}
	_ = unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, "")
	return nil
}

func setRlimits(ls []Rlimit) error {
	for _, l := range ls {
		r := unix.Rlimit{Cur: l.Value, Max: l.Value}
		if err := unix.Setrlimit(l.Resource, &r); err != nil {
			return fail("setrlimit "+l.Name, err)
		}
	}
	return nil
}

// handledFS is every file-system right the given Landlock ABI handles.
func handledFS(abi int) Access {
	h := AccessExecute | AccessWriteFile | AccessReadFile | AccessReadDir | AccessRemoveDir |
		AccessRemoveFile | AccessMakeChar | AccessMakeDir | AccessMakeReg | AccessMakeSock |
		AccessMakeFifo | AccessMakeBlock | AccessMakeSym
	if abi >= 2 {
		h |= AccessRefer
	}
	if abi >= 3 {
		h |= AccessTruncate
	}
	if abi >= 5 {
		h |= AccessIoctlDev
	}
	if abi >= 9 {
		h |= AccessResolveUnix
	}
	return h
}

func landlockRestrict(rs Ruleset, exe string) error {
	abi, err := ll.LandlockGetABIVersion()
	if err != nil {
		return &setupError{stage: "landlock", err: err, unavailable: true}
	}
	if abi < MinLandlockABI {
		return &setupError{stage: "landlock", err: fmt.Errorf("ABI %d < %d", abi, MinLandlockABI), unavailable: true}
	}
	handled := handledFS(abi)
	attr := ll.RulesetAttr{HandledAccessFS: uint64(handled)}
	if rs.ScopeIPC && abi >= ScopeABI {
		attr.Scoped = ll.ScopeAbstractUnixSocket | ll.ScopeSignal
	} else if rs.RequireScope {
		return &setupError{stage: "landlock", err: fmt.Errorf("ABI %d cannot scope abstract unix sockets (needs %d)", abi, ScopeABI), unavailable: true}
	}
	rfd, err := ll.LandlockCreateRuleset(&attr, 0)
	if err != nil {
		return &setupError{stage: "landlock create", err: err, unavailable: true}
	}
	defer unix.Close(rfd)
	paths := rs.Paths
	if exe != "" {
		paths = append(append([]PathRule(nil), paths...), PathRule{Path: exe, Access: AccessRead})
	}
	for _, r := range paths {
		fd, err := unix.Open(r.Path, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			if r.Optional && errors.Is(err, unix.ENOENT) {
				continue
			}
			return fail("landlock open "+r.Path, err)
		}
		var st unix.Stat_t
		access := r.Access & handled
		if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			access &= accessFileOnly
		}
		err = ll.LandlockAddPathBeneathRule(rfd, &ll.PathBeneathAttr{AllowedAccess: uint64(access), ParentFd: fd}, 0)
		unix.Close(fd)
		if err != nil {
			return fail("landlock rule "+r.Path, err)
		}
	}
	// Only the locked thread that forks every command is restricted: with
	// ABI < 8 restricting each thread would give each its own sibling
	// domain, and the helper's other threads (trusted code) must still be
	// able to signal the commands.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fail("no_new_privs", err)
	}
	if err := ll.LandlockRestrictSelf(rfd, 0); err != nil {
		return &setupError{stage: "landlock restrict", err: err, unavailable: true}
	}
	return nil
}

// dropPrivileges switches the locked OS thread (the one that forks the
// command) to an unprivileged identity: uid/gid inside the namespace, or,
// when only one id is mapped, uid 0 without any capability and with
// SECBIT_NOROOT so exec grants none back.
func dropPrivileges(uid, gid int) error {
	for c := 0; c <= 63; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fail("drop bounding set", err)
		}
	}
	if uid != 0 {
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETGROUPS, 0, 0, 0); e != 0 {
			return fail("setgroups", e)
		}
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESGID, uintptr(gid), uintptr(gid), uintptr(gid)); e != 0 {
			return fail("setresgid", e)
		}
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
			return fail("setresuid", e)
		}
		return nil
	}
	const secbits = 0x1 | 0x2 | 0x4 | 0x8 | 0x40 | 0x80 // NOROOT, NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE (+ locks)
	if err := unix.Prctl(unix.PR_SET_SECUREBITS, secbits, 0, 0, 0); err != nil {
		return fail("securebits", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fail("capset", err)
	}
	return nil
}

// errNotFound means the command is not on PATH (exit status 127).
type errNotFound struct{ error }

// startCommand starts argv in its own process group with the rlimits in
// force before its first instruction, from the locked (confined) thread.
// It stops the child at exec (PTRACE_TRACEME), sets the limits with
// prlimit and detaches; where ptrace is refused it falls back to the shim
// (this executable again, which sets the limits and execs argv).
func startCommand(spec helperSpec, argv []string, dir string, files []uintptr) (int, error) {
	path, err := lookPath(argv[0], envGet(spec.Rules.Env, "PATH"))
	if err != nil {
		return 0, errNotFound{err}
	}
	if spec.Shim {
		return forkShim(spec, argv, dir, files)
	}
	attr := &syscall.ProcAttr{Dir: dir, Env: spec.Rules.Env, Files: files, Sys: &syscall.SysProcAttr{Setpgid: true, Ptrace: true}}
	pid, err := syscall.ForkExec(path, argv, attr)
	if errors.Is(err, syscall.EPERM) {
		return forkShim(spec, argv, dir, files)
	}
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != nil || !ws.Stopped() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		return 0, fmt.Errorf("start %s: no stop at exec (%v, %v)", argv[0], ws, err)
	}
	for _, l := range spec.Rules.Rlimits {
		if err := unix.Prlimit(pid, l.Resource, &unix.Rlimit{Cur: l.Value, Max: l.Value}, nil); err != nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return 0, fmt.Errorf("start %s: prlimit %s: %w", argv[0], l.Name, err)
		}
	}
	if err := syscall.PtraceDetach(pid); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		return 0, fmt.Errorf("start %s: detach: %w", argv[0], err)
	}
	return pid, nil
}

// forkShim starts the shim (this executable) in its own process group; the
// shim sets the rlimits and execs argv. Must run on the locked thread.
func forkShim(spec helperSpec, argv []string, dir string, files []uintptr) (int, error) {
	shim, err := json.Marshal(shimSpec{Argv: argv, Rlimits: spec.Rules.Rlimits})
	if err != nil {
		return 0, err
	}
	pid, err := syscall.ForkExec(spec.Exe, []string{spec.Exe, shimArg, string(shim)}, &syscall.ProcAttr{
		Dir: dir, Env: spec.Rules.Env, Files: files, Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	return pid, nil
}

func envGet(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// lookPath finds name on path like a shell does.
func lookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: command not found", name)
}
