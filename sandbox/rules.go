package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// Access is a set of Landlock file-system access rights (the
// LANDLOCK_ACCESS_FS_* bits). Rights the running kernel does not know are
// dropped when the rules are enforced; MinLandlockABI guarantees that reads
// and writes are always told apart.
type Access uint64

// Landlock file-system rights, same bits as the kernel ABI.
const (
	AccessExecute Access = 1 << iota
	AccessWriteFile
	AccessReadFile
	AccessReadDir
	AccessRemoveDir
	AccessRemoveFile
	AccessMakeChar
	AccessMakeDir
	AccessMakeReg
	AccessMakeSock
	AccessMakeFifo
	AccessMakeBlock
	AccessMakeSym
	AccessRefer
	AccessTruncate
	AccessIoctlDev
	AccessResolveUnix
)

// Access sets used by the rules.
const (
	AccessRead      = AccessExecute | AccessReadFile | AccessReadDir
	AccessReadWrite = AccessRead | AccessWriteFile | AccessRemoveDir | AccessRemoveFile |
		AccessMakeChar | AccessMakeDir | AccessMakeReg | AccessMakeSock | AccessMakeFifo |
		AccessMakeBlock | AccessMakeSym | AccessRefer | AccessTruncate | AccessIoctlDev | AccessResolveUnix
	// accessFileOnly are the rights that apply to a non-directory.
	accessFileOnly = AccessExecute | AccessWriteFile | AccessReadFile | AccessTruncate | AccessIoctlDev
)

var accessNames = []string{"execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file",
	"make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer",
	"truncate", "ioctl_dev", "resolve_unix"}

func (a Access) String() string {
	switch a {
	case AccessRead:
		return "read"
	case AccessReadWrite:
		return "read-write"
	}
	var parts []string
	for i, n := range accessNames {
		if a&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "|")
}

// MinLandlockABI is the oldest Landlock ABI that can enforce a Policy: ABI 3
// is the first that handles truncate, so read-only really means read-only.
const MinLandlockABI = 3

// ScopeABI is the Landlock ABI that scopes abstract unix sockets and signals.
const ScopeABI = 6

// PathRule grants Access beneath Path.
type PathRule struct {
	Path     string
	Access   Access
	Optional bool // a missing path is skipped (system dirs that may not exist)
}

// Mount makes Source visible at Target inside the sandbox's mount namespace.
// Only what is mounted exists inside; Landlock then decides the access.
type Mount struct {
	Source, Target string
}

// Namespaces lists the Linux namespaces the command is placed in.
type Namespaces struct {
	User, Mount, PID, Net bool
}

// Rlimit is one resource limit set before the command starts.
type Rlimit struct {
	Name     string // RLIMIT_CPU, RLIMIT_AS, ...
	Resource int
	Value    uint64
}

// Ruleset is everything that will be applied to a command of a Policy: the
// output of Rules, the input of the helper.
type Ruleset struct {
	Confined     bool // false only for DangerFullAccess
	Paths        []PathRule
	Mounts       []Mount
	Namespaces   Namespaces
	ScopeIPC     bool // Landlock scoping of abstract unix sockets and signals
	RequireScope bool // ScopeIPC is required (NetHost: no net namespace hides abstract sockets)
	Rlimits      []Rlimit
	Env          []string // KEY=VALUE, sorted
	Wall         time.Duration
	OutputBytes  int
	PrivateDirs  []string // directories created before the command runs
}

var goRootOnce = sync.OnceValue(func() string {
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		if s := strings.TrimSpace(string(out)); s != "" {
			return s
		}
	}
	//lint:ignore SA1019 fallback when no go binary is on PATH
	return runtime.GOROOT()
})

// Rules returns the exact rules that a Runner of p applies. It reads only the
// supervisor's environment (for EnvAllow) and the Go root (`go env GOROOT`,
// once per process); it touches no file. A Runner adds one rule of its own:
// its helper executable, mounted and readable/executable at its host path.
func Rules(p Policy) (Ruleset, error) {
	return rules(p, os.Environ(), goRootOnce())
}

var systemReadable = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"}

var devFiles = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}

// secretName reports whether an environment variable name must never reach a
// sandboxed command.
func secretName(name string) bool {
	u := strings.ToUpper(name)
	switch {
	case strings.HasSuffix(u, "_API_KEY"), strings.HasSuffix(u, "_TOKEN"), strings.Contains(u, "_SECRET"),
		strings.HasPrefix(u, "SECRET"), strings.HasPrefix(u, "AWS_"), u == "SSH_AUTH_SOCK",
		strings.HasPrefix(u, "GITHUB_"), strings.HasPrefix(u, "OPENAI_"), strings.HasPrefix(u, "ANTHROPIC_"),
		strings.HasSuffix(u, "_PASSWORD"), u == "API_KEY", u == "TOKEN":
		return true
	}
	return false
}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func rules(p Policy, environ []string, goroot string) (Ruleset, error) {
	if err := p.validate(); err != nil {
		return Ruleset{}, err
	}
	lim := p.Limits.withDefaults()
	rs := Ruleset{Wall: lim.Wall, OutputBytes: lim.OutputBytes}
	rs.Env = buildEnv(p, environ, goroot)
	if p.Mode == DangerFullAccess {
		return rs, nil
	}
	rs.Confined = true
	home, tmp := filepath.Join(p.PrivateDir, "home"), filepath.Join(p.PrivateDir, "tmp")
	rs.PrivateDirs = []string{p.PrivateDir, home, tmp, filepath.Join(p.PrivateDir, "cache")}

	var paths []PathRule
	for _, d := range systemReadable {
		paths = append(paths, PathRule{Path: d, Access: AccessRead, Optional: true})
	}
	for _, d := range devFiles {
		paths = append(paths, PathRule{Path: d, Access: AccessRead | AccessWriteFile | AccessTruncate, Optional: true})
	}
	paths = append(paths, PathRule{Path: "/proc", Access: AccessRead})
	if goroot != "" {
		paths = append(paths, PathRule{Path: goroot, Access: AccessRead, Optional: true})
	}
	if p.Network == NetHost {
		// /etc/resolv.conf often points here; with the host network DNS must work.
		paths = append(paths, PathRule{Path: "/run/systemd/resolve", Access: AccessRead, Optional: true})
	}
	for _, d := range p.Readable {
		paths = append(paths, PathRule{Path: filepath.Clean(d), Access: AccessRead})
	}
	switch {
	case p.Mode == ReadOnly:
		paths = append(paths, PathRule{Path: filepath.Clean(p.Workdir), Access: AccessRead})
	case len(p.WriteLease) > 0:
		paths = append(paths, PathRule{Path: filepath.Clean(p.Workdir), Access: AccessRead})
		for _, d := range p.WriteLease {
			paths = append(paths, PathRule{Path: filepath.Clean(d), Access: AccessReadWrite})
		}
	default:
		paths = append(paths, PathRule{Path: filepath.Clean(p.Workdir), Access: AccessReadWrite})
	}
	if p.Mode != ReadOnly {
		for _, d := range p.Writable {
			paths = append(paths, PathRule{Path: filepath.Clean(d), Access: AccessReadWrite})
		}
	}
	paths = append(paths, PathRule{Path: filepath.Clean(p.PrivateDir), Access: AccessReadWrite})
	rs.Paths = paths

	// Mounts: every path of a rule at its own place, the private tmp also at
	// /tmp (tools that ignore TMPDIR), a fresh /proc (done by the helper).
	for _, r := range paths {
		if r.Path == "/proc" {
			continue
		}
		rs.Mounts = append(rs.Mounts, Mount{Source: r.Path, Target: r.Path})
	}
	// The private tmp is also shown at /tmp for tools that ignore TMPDIR,
	// unless a root lives below /tmp (then /tmp is only the way to it).
	tmpFree := true
	for _, m := range rs.Mounts {
		if within("/tmp", m.Target) {
			tmpFree = false
		}
	}
	if tmpFree {
		rs.Mounts = append(rs.Mounts, Mount{Source: tmp, Target: "/tmp"})
		rs.Paths = append(rs.Paths, PathRule{Path: "/tmp", Access: AccessReadWrite})
	}

	rs.Namespaces = Namespaces{User: true, Mount: true, PID: true, Net: p.Network == NetNone}
	rs.ScopeIPC = true
	rs.RequireScope = p.Network == NetHost
	rs.Rlimits = []Rlimit{
		{Name: "RLIMIT_CPU", Resource: rlimitCPU, Value: lim.CPUSeconds},
		{Name: "RLIMIT_AS", Resource: rlimitAS, Value: lim.MemoryBytes},
		{Name: "RLIMIT_NPROC", Resource: rlimitNPROC, Value: lim.Processes},
		{Name: "RLIMIT_FSIZE", Resource: rlimitFSIZE, Value: lim.FileSizeBytes},
		{Name: "RLIMIT_CORE", Resource: rlimitCORE, Value: 0},
	}
	return rs, nil
}

// Resource numbers of Linux (same on every architecture Go supports there).
const (
	rlimitCPU   = 0
	rlimitFSIZE = 1
	rlimitCORE  = 4
	rlimitNPROC = 6
	rlimitAS    = 9
)

func buildEnv(p Policy, environ []string, goroot string) []string {
	env := map[string]string{}
	allowed := map[string]bool{}
	for _, n := range p.EnvAllow {
		allowed[n] = true
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && allowed[k] && !secretName(k) {
			env[k] = v
		}
	}
	if env["PATH"] == "" {
		env["PATH"] = defaultPath
	}
	if goroot != "" {
		gobin := filepath.Join(goroot, "bin")
		if !strings.Contains(":"+env["PATH"]+":", ":"+gobin+":") {
			env["PATH"] = gobin + ":" + env["PATH"]
		}
	}
	if p.Mode != DangerFullAccess {
		pd := p.PrivateDir
		for k, v := range map[string]string{
			"HOME":             filepath.Join(pd, "home"),
			"TMPDIR":           filepath.Join(pd, "tmp"),
			"XDG_CACHE_HOME":   filepath.Join(pd, "cache"),
			"GOCACHE":          filepath.Join(pd, "cache", "go-build"),
			"GOPATH":           filepath.Join(pd, "go"),
			"GOMODCACHE":       filepath.Join(pd, "go", "pkg", "mod"),
			"npm_config_cache": filepath.Join(pd, "cache", "npm"),
			"PIP_CACHE_DIR":    filepath.Join(pd, "cache", "pip"),
			"GOTOOLCHAIN":      "local",
			"GOPROXY":          "off",
			"GONOSUMDB":        "*",
			"GOFLAGS":          env["GOFLAGS"],
		} {
			env[k] = v
		}
		if env["GOFLAGS"] == "" {
			delete(env, "GOFLAGS")
		}
	}
	for k, v := range p.Env {
		if !secretName(k) {
			env[k] = v
		}
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// String renders the ruleset for `cadre doctor` and debugging.
func (rs Ruleset) String() string {
	var b strings.Builder
	if !rs.Confined {
		b.WriteString("unconfined (danger-full-access)\n")
	}
	for _, r := range rs.Paths {
		opt := ""
		if r.Optional {
			opt = " (if present)"
		}
		fmt.Fprintf(&b, "path %s %s%s\n", r.Path, r.Access, opt)
	}
	fmt.Fprintf(&b, "namespaces user=%v mount=%v pid=%v net=%v scope-ipc=%v\n",
		rs.Namespaces.User, rs.Namespaces.Mount, rs.Namespaces.PID, rs.Namespaces.Net, rs.ScopeIPC)
	for _, l := range rs.Rlimits {
		fmt.Fprintf(&b, "%s %d\n", l.Name, l.Value)
	}
	for _, e := range rs.Env {
		fmt.Fprintf(&b, "env %s\n", e)
	}
	return b.String()
}
