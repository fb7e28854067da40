//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var execPaths = []struct {
	name string
	opt  Option
}{{"reexec", WithReexec()}, {"server", WithServer()}}

// forEachPath runs fn once per exec path with a fresh environment whose
// policy edit may change.
func forEachPath(t *testing.T, edit func(e *env), fn func(t *testing.T, e env, r Runner)) {
	requireSandbox(t)
	for _, p := range execPaths {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t)
			if edit != nil {
				edit(&e)
			}
			r, err := New(e.pol, p.opt)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			t.Cleanup(func() { r.Close() })
			fn(t, e, r)
		})
	}
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// depths runs a script as the child (sh -c) and as a grandchild (sh -c 'sh -c ...').
var depths = []struct {
	name string
	wrap func(script string) []string
}{
	{"child", func(s string) []string { return []string{"sh", "-c", s} }},
	{"grandchild", func(s string) []string { return []string{"sh", "-c", "sh -c " + shQuote(s) + "; exit $?"} }},
}

func TestFileSystemConfinement(t *testing.T) {
	var outside, other, home, ro string
	edit := func(e *env) {
		outside = filepath.Join(e.root, "outside")
		other = filepath.Join(e.root, "other-agent")
		home = filepath.Join(e.root, "home")
		ro = filepath.Join(e.root, "ro")
		for _, d := range []string{outside, other, filepath.Join(home, ".ssh"), ro} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		writeFile(t, filepath.Join(other, "secret.txt"), "other agent's work")
		writeFile(t, filepath.Join(home, ".ssh", "id_rsa"), "PRIVATE KEY")
		writeFile(t, filepath.Join(ro, "data"), "readable data")
		if err := os.Symlink(outside, filepath.Join(e.work, "link_out")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(ro, filepath.Join(e.work, "link_ro")); err != nil {
			t.Fatal(err)
		}
		e.pol.Readable = append(e.pol.Readable, ro)
	}
	forEachPath(t, edit, func(t *testing.T, e env, r Runner) {
		cases := []struct {
			name    string
			script  string
			wantOK  bool
			mustNot string // a host path that must not exist afterwards
		}{
			{"write outside worktree", "echo x > " + outside + "/f", false, filepath.Join(outside, "f")},
			{"write read-only root", "echo x > " + ro + "/f", false, filepath.Join(ro, "f")},
			{"write system dir", "echo x > /usr/cadre-sandbox-test", false, "/usr/cadre-sandbox-test"},
			{"write via symlink outside", "echo x > link_out/f", false, filepath.Join(outside, "f")},
			{"write via symlink to read-only", "echo x > link_ro/f", false, filepath.Join(ro, "f")},
			{"truncate read-only file", ": > " + ro + "/data", false, ""},
			{"remove read-only file", "rm -f " + ro + "/data", false, ""},
			{"read ssh key", "cat " + home + "/.ssh/id_rsa", false, ""},
			{"read other worktree", "cat " + other + "/secret.txt", false, ""},
			{"write other worktree", "echo x > " + other + "/f", false, filepath.Join(other, "f")},
			{"read readable root", "cat " + ro + "/data", true, ""},
			{"read system dirs", "cat /etc/passwd >/dev/null && ls /usr/bin >/dev/null && test -r /usr/bin/sh", true, ""},
			{"write worktree", "mkdir -p d && echo x > d/f && cat d/f && rm d/f", true, ""},
			{"write tmpdir", "echo x > \"$TMPDIR/t\" && cat \"$TMPDIR/t\"", true, ""},
			{"write home", "echo x > \"$HOME/t\" && cat \"$HOME/t\"", true, ""},
			{"dev null", "echo x > /dev/null && head -c 4 /dev/urandom | wc -c", true, ""},
		}
		for _, d := range depths {
			for _, c := range cases {
				t.Run(d.name+"/"+c.name, func(t *testing.T) {
					res := mustRun(t, r, d.wrap(c.script)...)
					if ok := res.ExitCode == 0; ok != c.wantOK {
						t.Fatalf("exit %d, want success=%v; output:\n%s", res.ExitCode, c.wantOK, res.Output)
					}
					if c.mustNot != "" {
						if _, err := os.Lstat(c.mustNot); err == nil {
							t.Fatalf("%s was created", c.mustNot)
						}
					}
					if bytes.Contains(res.Output, []byte("PRIVATE KEY")) || bytes.Contains(res.Output, []byte("other agent's work")) {
						t.Fatalf("secret leaked: %s", res.Output)
					}
				})
			}
		}
		if data, err := os.ReadFile(filepath.Join(ro, "data")); err != nil || string(data) != "readable data" {
			t.Fatalf("read-only file changed: %q, %v", data, err)
		}
	})
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func testExe(t testing.TB) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestNetworkIsolation(t *testing.T) {
	hits := make(chan string, 64) // one value per connection or datagram a host listener got
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	go func() {
		for {
			c, err := tcp.Accept()
			if err != nil {
				return
			}
			hits <- "tcp"
			c.Close()
		}
	}()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	go func() {
		buf := make([]byte, 64)
		for {
			n, addr, err := udp.ReadFrom(buf)
			if err != nil {
				return
			}
			hits <- "udp"
			_, _ = udp.WriteTo(buf[:n], addr)
		}
	}()
	sockDir := t.TempDir()
	unixPath := filepath.Join(sockDir, "agent.sock")
	ul, err := net.Listen("unix", unixPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	abstract := fmt.Sprintf("@cadre-sandbox-test-%d", os.Getpid())
	al, err := net.Listen("unix", abstract)
	if err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	for _, l := range []net.Listener{ul, al} {
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				hits <- "unix"
				c.Close()
			}
		}()
	}
	// Sanity: the listeners are reachable from outside the sandbox.
	for _, a := range [][2]string{{"tcp", tcp.Addr().String()}, {"unix", unixPath}, {"unix", abstract}} {
		c, err := net.Dial(a[0], a[1])
		if err != nil {
			t.Fatalf("host dial %v: %v", a, err)
		}
		c.Close()
		<-hits
	}
	exe := testExe(t)
	forEachPath(t, func(e *env) { e.pol.Env = map[string]string{"CADRE_TEST_MODE": "dial"} }, func(t *testing.T, e env, r Runner) {
		cases := []struct{ name, mode, network, addr string }{
			{"tcp", "dial", "tcp", tcp.Addr().String()},
			{"udp", "udp", "", udp.LocalAddr().String()},
			{"unix path", "dial", "unix", unixPath},
			{"unix abstract", "dial", "unix", abstract},
		}
		for _, c := range cases {
			args := []string{exe, c.network, c.addr}
			if c.network == "" {
				args = []string{exe, c.addr}
			}
			for _, depth := range []string{"child", "grandchild"} {
				t.Run(c.name+"/"+depth, func(t *testing.T) {
					argv := append([]string{"env", "CADRE_TEST_MODE=" + c.mode}, args...)
					if depth == "grandchild" {
						argv = []string{"sh", "-c", "sh -c " + shQuote(strings.Join(argv, " "))}
					}
					res := mustRun(t, r, argv...)
					if res.ExitCode == 0 || bytes.Contains(res.Output, []byte("CONNECTED")) {
						t.Fatalf("reached the host's %s listener: exit %d\n%s", c.name, res.ExitCode, res.Output)
					}
					if !bytes.Contains(res.Output, []byte("FAILED")) {
						t.Fatalf("probe did not run: exit %d\n%s", res.ExitCode, res.Output)
					}
					select {
					case h := <-hits:
						t.Fatalf("host %s listener was reached", h)
					default:
					}
				})
			}
		}
	})
}

func TestLoopbackServerPerRunner(t *testing.T) {
	requireSandbox(t)
	exe := testExe(t)
	const port = "18080"
	for _, p := range execPaths {
		t.Run(p.name, func(t *testing.T) {
			a, b := newEnv(t), newEnv(t)
			for _, e := range []*env{&a, &b} {
				e.pol.Env = map[string]string{"CADRE_TEST_MODE": "serve"}
			}
			bound, release := filepath.Join(a.work, "bound"), filepath.Join(a.work, "release")
			for _, f := range []string{bound, release} {
				if err := syscall.Mkfifo(f, 0o666); err != nil {
					t.Fatal(err)
				}
			}
			ra, err := New(a.pol, p.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer ra.Close()
			rb, err := New(b.pol, p.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer rb.Close()
			type out struct {
				res Result
				err error
			}
			done := make(chan out, 1)
			go func() {
				res, err := ra.Run(context.Background(), Command{Argv: []string{exe, port, bound, release}, Timeout: time.Minute})
				done <- out{res, err}
			}()
			// A holds the port once it wrote to the bound fifo.
			if data, err := os.ReadFile(bound); err != nil || string(data) != "bound\n" {
				t.Fatalf("runner A did not bind: %q %v", data, err)
			}
			res := mustRun(t, rb, "sh", "-c", "sh -c "+shQuote(exe+" "+port))
			if res.ExitCode != 0 || !bytes.Contains(res.Output, []byte("SERVED")) {
				t.Fatalf("runner B could not serve on 127.0.0.1:%s while A does: exit %d\n%s", port, res.ExitCode, res.Output)
			}
			writeFile(t, release, "go\n")
			o := <-done
			if o.err != nil || o.res.ExitCode != 0 || !bytes.Contains(o.res.Output, []byte("SERVED")) {
				t.Fatalf("runner A: %v exit %d\n%s", o.err, o.res.ExitCode, o.res.Output)
			}
		})
	}
}

func TestProcessLimit(t *testing.T) {
	exe := testExe(t)
	forEachPath(t, func(e *env) {
		e.pol.Limits.Processes = 24
		e.pol.Env = map[string]string{"CADRE_TEST_MODE": "fork"}
	}, func(t *testing.T, e env, r Runner) {
		res, err := r.Run(context.Background(), Command{Argv: []string{exe, "200"}, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 3 || !bytes.Contains(res.Output, []byte("resource temporarily unavailable")) {
			t.Fatalf("200 processes were not stopped by a limit of 24: exit %d\n%s", res.ExitCode, res.Output)
		}
		// A real fork bomb ends too (limit, then the wall clock).
		res, err = r.Run(context.Background(), Command{Argv: []string{"sh", "-c", "b() { b | b & }; b; wait"}, Timeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("fork bomb: exit %d timed out %v", res.ExitCode, res.TimedOut)
	})
}

// withShim forces the shim fallback of the limit setting (no ptrace).
func withShim() Option { return func(o *options) { o.shim = true } }

func TestLimitsThroughShim(t *testing.T) {
	requireSandbox(t)
	exe := testExe(t)
	for _, p := range execPaths {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t)
			e.pol.Limits.Processes = 24
			e.pol.Env = map[string]string{"CADRE_TEST_MODE": "fork"}
			r, err := New(e.pol, p.opt, withShim())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if res := mustRun(t, r, exe, "200"); res.ExitCode != 3 {
				t.Fatalf("process limit not applied through the shim: %d %s", res.ExitCode, res.Output)
			}
			// Memory: a separate runner (a Go program cannot even start under 256 MiB of address space).
			e2 := newEnv(t)
			e2.pol.Limits.MemoryBytes = 256 << 20
			r, err = New(e2.pol, p.opt, withShim())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if res := mustRun(t, r, "sh", "-c", `x=$(head -c 800000000 /dev/zero | tr '\0' a); echo "kept ${#x}"`); res.ExitCode == 0 {
				t.Fatalf("memory limit not applied through the shim: %s", res.Output)
			}
			if res := mustRun(t, r, "no-such-command-cadre"); res.ExitCode != 127 {
				t.Fatalf("missing command through the shim: %+v", res)
			}
		})
	}
}

func TestMemoryLimit(t *testing.T) {
	forEachPath(t, func(e *env) { e.pol.Limits.MemoryBytes = 256 << 20 }, func(t *testing.T, e env, r Runner) {
		hog := `x=$(head -c 800000000 /dev/zero | tr '\0' a); echo "kept ${#x} bytes"`
		res := mustRun(t, r, "sh", "-c", hog)
		if res.ExitCode == 0 || bytes.Contains(res.Output, []byte("kept 800000000")) {
			t.Fatalf("memory hog not stopped: exit %d\n%s", res.ExitCode, res.Output)
		}
		res = mustRun(t, r, "sh", "-c", `x=$(head -c 1000000 /dev/zero | tr '\0' a); echo "kept ${#x} bytes"`)
		if res.ExitCode != 0 {
			t.Fatalf("small allocation failed: %s", res.Output)
		}
	})
}

// procsWithArg lists host pids whose command line contains arg.
func procsWithArg(t *testing.T, arg string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmd, []byte(arg)) {
			if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && bytes.Contains(st, []byte(") Z ")) {
				continue
			}
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	forEachPath(t, nil, func(t *testing.T, e env, r Runner) {
		marker := strconv.Itoa(900000 + os.Getpid()%10000)
		bound := filepath.Join(e.work, "started")
		if err := syscall.Mkfifo(bound, 0o666); err != nil {
			t.Fatal(err)
		}
		done := make(chan Result, 1)
		go func() {
			script := fmt.Sprintf(`sh -c 'sleep %s & sleep %s' & echo up > started; wait`, marker, marker)
			res, err := r.Run(context.Background(), Command{Argv: []string{"sh", "-c", script}, Timeout: 2 * time.Second})
			if err != nil {
				t.Error(err)
			}
			done <- res
		}()
		if _, err := os.ReadFile(bound); err != nil {
			t.Fatal(err)
		}
		res := <-done
		if !res.TimedOut {
			t.Fatalf("not timed out: %+v", res)
		}
		if pids := procsWithArg(t, "sleep\x00"+marker); len(pids) > 0 {
			t.Fatalf("grandchildren survive the timeout: %v", pids)
		}
	})
}

func TestCancelKillsCommand(t *testing.T) {
	forEachPath(t, nil, func(t *testing.T, e env, r Runner) {
		started := filepath.Join(e.work, "started")
		if err := syscall.Mkfifo(started, 0o666); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := r.Run(ctx, Command{Argv: []string{"sh", "-c", "echo up > started; sleep 1000"}})
			errc <- err
		}()
		if _, err := os.ReadFile(started); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		// The runner still works afterwards.
		if res := mustRun(t, r, "true"); res.ExitCode != 0 {
			t.Fatalf("runner broken after cancel: %+v", res)
		}
	})
}

func TestEnvHasNoSecrets(t *testing.T) {
	secrets := map[string]string{
		"OPENAI_API_KEY":        "sk-secret-1",
		"GITHUB_TOKEN":          "ghp-secret-2",
		"AWS_SECRET_ACCESS_KEY": "aws-secret-3",
		"SSH_AUTH_SOCK":         "/tmp/ssh-secret-4",
		"MY_SERVICE_TOKEN":      "secret-5",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	t.Setenv("CADRE_VISIBLE", "visible-ok")
	forEachPath(t, func(e *env) {
		for k := range secrets {
			e.pol.EnvAllow = append(e.pol.EnvAllow, k) // listed, still never passed
		}
		e.pol.EnvAllow = append(e.pol.EnvAllow, "CADRE_VISIBLE")
		e.pol.Env = map[string]string{"EXTRA": "x", "ANOTHER_API_KEY": "secret-6"}
	}, func(t *testing.T, e env, r Runner) {
		res := mustRun(t, r, "sh", "-c", "env; sh -c env")
		out := string(res.Output)
		for k, v := range secrets {
			if strings.Contains(out, k) || strings.Contains(out, v) {
				t.Errorf("%s leaked into the sandbox", k)
			}
		}
		for _, want := range []string{"CADRE_VISIBLE=visible-ok", "EXTRA=x", "HOME=" + filepath.Join(e.priv, "home"), "TMPDIR=" + filepath.Join(e.priv, "tmp"), "GOTOOLCHAIN=local"} {
			if !strings.Contains(out, want) {
				t.Errorf("env lacks %s:\n%s", want, out)
			}
		}
		if strings.Contains(out, "secret-6") {
			t.Error("secret-like extra env passed")
		}
	})
}

func TestCommandNotRootOnHost(t *testing.T) {
	forEachPath(t, nil, func(t *testing.T, e env, r Runner) {
		res := mustRun(t, r, "sh", "-c", "echo x > owned; id -u")
		if res.ExitCode != 0 {
			t.Fatalf("exit %d: %s", res.ExitCode, res.Output)
		}
		st, err := os.Stat(filepath.Join(e.work, "owned"))
		if err != nil {
			t.Fatal(err)
		}
		uid := int(st.Sys().(*syscall.Stat_t).Uid)
		want := os.Getuid()
		if os.Geteuid() == 0 {
			want = DefaultHostID
		}
		if uid != want || uid == 0 {
			t.Fatalf("file created inside is owned by host uid %d, want %d (not root)", uid, want)
		}
		// The supervisor can still read and replace it.
		if err := os.WriteFile(filepath.Join(e.work, "owned"), []byte("supervisor"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOutputCap(t *testing.T) {
	forEachPath(t, func(e *env) { e.pol.Limits.OutputBytes = 1000 }, func(t *testing.T, e env, r Runner) {
		res := mustRun(t, r, "sh", "-c", "head -c 5000000 /dev/zero | tr '\\0' a; echo done >&2")
		if !res.Truncated || res.ExitCode != 0 {
			t.Fatalf("truncated=%v exit=%d", res.Truncated, res.ExitCode)
		}
		want := strings.Repeat("a", 1000) + "\n[cadre: output truncated after 1000 bytes]\n"
		if string(res.Output) != want {
			t.Fatalf("output = %q...", res.Output[:min(len(res.Output), 80)])
		}
		res = mustRun(t, r, "sh", "-c", "echo out; echo err >&2; exit 7")
		if res.Truncated || res.ExitCode != 7 || string(res.Output) != "out\nerr\n" {
			t.Fatalf("got %+v %q", res, res.Output)
		}
	})
}

func TestStdinDirAndExit(t *testing.T) {
	forEachPath(t, nil, func(t *testing.T, e env, r Runner) {
		if err := os.MkdirAll(filepath.Join(e.work, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		res, err := r.Run(context.Background(), Command{Argv: []string{"sh", "-c", "pwd; cat"}, Dir: "sub", Stdin: []byte("from stdin")})
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(e.work, "sub") + "\nfrom stdin"; string(res.Output) != want {
			t.Fatalf("output %q, want %q", res.Output, want)
		}
		for _, dir := range []string{"..", "../x", "/etc"} {
			if _, err := r.Run(context.Background(), Command{Argv: []string{"true"}, Dir: dir}); !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("Dir %q: err = %v, want ErrInvalidPolicy", dir, err)
			}
		}
		if _, err := r.Run(context.Background(), Command{Argv: []string{"true"}, Dir: "missing"}); err == nil {
			t.Error("a missing Dir is not an error")
		}
		res = mustRun(t, r, "no-such-command-cadre")
		if res.ExitCode != 127 || !bytes.Contains(res.Output, []byte("command not found")) {
			t.Fatalf("missing command: %+v %s", res, res.Output)
		}
		res = mustRun(t, r, "sh", "-c", "kill -TERM $$")
		if res.Signal != "SIGTERM" || res.ExitCode != 128+15 {
			t.Fatalf("signal: %+v", res)
		}
	})
}

func TestGoBuildAndTest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the standard library in a fresh cache")
	}
	forEachPath(t, func(e *env) {
		writeFile(t, filepath.Join(e.work, "go.mod"), "module example.com/m\n\ngo 1.22\n")
		writeFile(t, filepath.Join(e.work, "main.go"), "package main\n\nfunc add(a, b int) int { return a + b }\n\nfunc main() { println(add(1, 2)) }\n")
		writeFile(t, filepath.Join(e.work, "main_test.go"), "package main\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif add(1, 2) != 3 {\n\t\tt.Fatal(\"bad\")\n\t}\n}\n")
	}, func(t *testing.T, e env, r Runner) {
		res, err := r.Run(context.Background(), Command{Argv: []string{"sh", "-c", "go build -o m . && ./m && go test ./..."}, Timeout: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 0 || !bytes.Contains(res.Output, []byte("ok")) {
			t.Fatalf("go build/test failed: exit %d\n%s", res.ExitCode, res.Output)
		}
	})
}

func TestDangerFullAccessIsUnconfined(t *testing.T) {
	e := newEnv(t)
	e.pol.Mode = DangerFullAccess
	r, err := New(e.pol)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	outside := filepath.Join(e.root, "outside")
	res := mustRun(t, r, "sh", "-c", "echo x > "+outside)
	if res.ExitCode != 0 {
		t.Fatalf("exit %d: %s", res.ExitCode, res.Output)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Fatal(err)
	}
}

func TestHostNetworkStillScopesAbstractSockets(t *testing.T) {
	abstract := fmt.Sprintf("@cadre-sandbox-hostnet-%d", os.Getpid())
	al, err := net.Listen("unix", abstract)
	if err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	go func() {
		for {
			c, err := tcp.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	exe := testExe(t)
	forEachPath(t, func(e *env) {
		e.pol.Network = NetHost
		e.pol.Env = map[string]string{"CADRE_TEST_MODE": "dial"}
	}, func(t *testing.T, e env, r Runner) {
		if res := mustRun(t, r, exe, "unix", abstract); res.ExitCode == 0 {
			t.Fatalf("abstract socket of the host reachable with NetHost: %s", res.Output)
		}
		if res := mustRun(t, r, exe, "tcp", tcp.Addr().String()); res.ExitCode != 0 {
			t.Fatalf("NetHost cannot reach the host's loopback: %s", res.Output)
		}
	})
}
