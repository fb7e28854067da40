package gocache

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary itself be the GOCACHEPROG program, exactly
// as the cadre binary is: when run as `<test binary> ArgMarker lower upper`
// it serves the protocol instead of running tests.
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == ArgMarker {
		if err := Main(os.Args[2], os.Args[3], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tinyModule writes a module with a main package and a test into a new
// temporary directory and returns it.
func tinyModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":       "module example.com/tiny\n\ngo 1.26\n",
		"main.go":      "package main\n\nimport \"fmt\"\n\nfunc greet() string { return fmt.Sprint(\"hi\") }\n\nfunc main() { fmt.Println(greet()) }\n",
		"main_test.go": "package main\n\nimport (\n\t\"strings\"\n\t\"testing\"\n)\n\nfunc TestGreet(t *testing.T) {\n\tif !strings.HasPrefix(greet(), \"h\") {\n\t\tt.Fatal(greet())\n\t}\n}\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goEnv is the test's environment without settings that would change which
// cache or toolchain the go command uses, plus extra.
func goEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "GOCACHE", "GOCACHEPROG", "GOFLAGS", "GOTOOLCHAIN", "GOPROXY":
			continue
		}
		env = append(env, kv)
	}
	return append(env, append([]string{"GOTOOLCHAIN=local", "GOPROXY=off"}, extra...)...)
}

// runGo runs the go command in dir and returns its combined output and how
// long it took; it fails the test if the command fails.
func runGo(t *testing.T, dir string, env []string, args ...string) (string, time.Duration) {
	t.Helper()
	goExe, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go command not found: %v", err)
	}
	cmd := exec.Command(goExe, args...)
	cmd.Dir = dir
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), d
}

// progEnv returns the environment that runs this test binary as the cache
// program over lower and upper.
func progEnv(t *testing.T, lower, upper string) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return goEnv(Env(exe, lower, upper)...)
}

// entries returns the names of the action entries ("*-a") in a cache dir.
func entries(t *testing.T, dir string) map[string]bool {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "[0-9a-f][0-9a-f]", "*-a"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, n := range names {
		m[filepath.Base(n)] = true
	}
	return m
}

// copyCache copies the entry and output files of the cache src into dst.
func copyCache(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o777)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copying cache: %v", err)
	}
}

// makeReadOnly removes write permission under dir (undone at cleanup so that
// t.TempDir can remove it).
func makeReadOnly(t *testing.T, dir string) {
	t.Helper()
	chmodAll := func(mask os.FileMode, set bool) error {
		return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			mode := fi.Mode().Perm() &^ mask
			if set {
				mode = fi.Mode().Perm() | mask
			}
			return os.Chmod(p, mode)
		})
	}
	if err := chmodAll(0o222, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := chmodAll(0o200, true); err != nil {
			t.Errorf("restoring write permission: %v", err)
		}
	})
}

func hostCache(t *testing.T) string {
	t.Helper()
	out, _ := runGo(t, t.TempDir(), os.Environ(), "env", "GOCACHE")
	dir := strings.TrimSpace(out)
	if dir == "" || dir == "off" {
		t.Skipf("host has no build cache (GOCACHE=%q)", dir)
	}
	return dir
}

// TestEndToEnd runs the real go command with this package as GOCACHEPROG.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the standard library from scratch")
	}
	mod := tinyModule(t)

	// 1. Cold: empty lower, empty upper (with a space in its path, to check
	// GOCACHEPROG quoting).
	emptyLower := t.TempDir()
	upper1 := filepath.Join(t.TempDir(), "upper one")
	out, d := runGo(t, mod, progEnv(t, emptyLower, upper1), "test", "./...")
	t.Logf("cold go test through the cache program: %v\n%s", d, out)
	runGo(t, mod, progEnv(t, emptyLower, upper1), "build", "-o", filepath.Join(t.TempDir(), "tiny"), ".")
	if n := len(entries(t, upper1)); n == 0 {
		t.Fatalf("upper %s has no entries after a cold build", upper1)
	}
	if got := len(entries(t, emptyLower)); got != 0 {
		t.Fatalf("empty lower got %d entries", got)
	}

	// 2. lower = copy of upper1, read-only; fresh upper.
	lower2 := filepath.Join(t.TempDir(), "lower")
	copyCache(t, upper1, lower2)
	makeReadOnly(t, lower2)
	before := snapshot(t, lower2)
	upper2 := t.TempDir()
	out, d = runGo(t, mod, progEnv(t, lower2, upper2), "test", "./...")
	t.Logf("go test over read-only lower: %v\n%s", d, out)
	if !strings.Contains(out, "(cached)") {
		t.Errorf("test result was not served from lower:\n%s", out)
	}
	lowerEntries := entries(t, lower2)
	for name := range entries(t, upper2) {
		if lowerEntries[name] {
			t.Errorf("entry %s was written to upper though lower has it", name)
		}
	}
	// -count=1 reruns the test, and go then puts the new result even though
	// lower holds an older one: such re-puts are expected.
	out, d = runGo(t, mod, progEnv(t, lower2, upper2), "test", "-count=1", "./...")
	t.Logf("go test -count=1 over read-only lower: %v\n%s", d, out)
	runGo(t, mod, progEnv(t, lower2, upper2), "build", "-o", filepath.Join(t.TempDir(), "tiny"), ".")
	upperEntries := entries(t, upper2)
	t.Logf("entries: lower %d, upper after runs %d", len(lowerEntries), len(upperEntries))
	if len(upperEntries) > len(lowerEntries)/10 {
		t.Errorf("upper has %d entries, lower %d: lower was not used", len(upperEntries), len(lowerEntries))
	}
	if after := snapshot(t, lower2); fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("read-only lower changed")
	}

	// 3. lower = the host's real cache, warmed for this module first.
	host := hostCache(t)
	runGo(t, mod, goEnv("GOCACHE="+host), "test", "./...")
	upper3 := t.TempDir()
	out, d = runGo(t, mod, progEnv(t, host, upper3), "test", "-count=1", "./...")
	t.Logf("go test -count=1 over the host cache %s: %v, %d entries in upper\n%s", host, d, len(entries(t, upper3)), out)
}

// TestMeasure logs how long a cold `go test` of a tiny module takes with an
// empty private GOCACHE and with this cache program over the host's cache.
// It is slow, so it only runs with CADRE_GOCACHE_MEASURE=1.
func TestMeasure(t *testing.T) {
	if os.Getenv("CADRE_GOCACHE_MEASURE") != "1" {
		t.Skip("set CADRE_GOCACHE_MEASURE=1 to measure")
	}
	mod := tinyModule(t)
	host := hostCache(t)
	_, warm := runGo(t, mod, goEnv("GOCACHE="+host), "test", "-count=1", "./...")
	_, hostAgain := runGo(t, mod, goEnv("GOCACHE="+host), "test", "-count=1", "./...")
	_, cold := runGo(t, mod, goEnv("GOCACHE="+t.TempDir()), "test", "-count=1", "./...")
	upper := t.TempDir()
	_, layered := runGo(t, mod, progEnv(t, host, upper), "test", "-count=1", "./...")
	_, layeredAgain := runGo(t, mod, progEnv(t, host, upper), "test", "-count=1", "./...")
	t.Logf("go test -count=1 of a tiny module:\n"+
		"  host cache warm-up run:              %v\n"+
		"  host cache, warm:                    %v\n"+
		"  empty private GOCACHE (cold):        %v\n"+
		"  cache program, lower=host, new upper: %v (%d entries written to upper)\n"+
		"  same again, upper now filled:        %v",
		warm, hostAgain, cold, layered, len(entries(t, upper)), layeredAgain)
}
