package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestMain(m *testing.M) {
	HelperMain()
	if mode := os.Getenv("CADRE_TEST_MODE"); mode != "" {
		os.Exit(testMode(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// requireSandbox skips when the kernel cannot confine, or fails when
// CADRE_REQUIRE_SANDBOX=1.
func requireSandbox(t testing.TB) {
	t.Helper()
	if s := Probe(); !s.OK() {
		if os.Getenv("CADRE_REQUIRE_SANDBOX") == "1" {
			t.Fatalf("sandbox required but unavailable: %s", s.Reason())
		}
		t.Skipf("sandbox unavailable: %s", s.Reason())
	}
}

type env struct {
	work, priv, root string
	pol              Policy
}

func newEnv(t testing.TB) env {
	t.Helper()
	root := t.TempDir()
	e := env{work: filepath.Join(root, "work"), priv: filepath.Join(root, "priv"), root: root}
	if err := os.MkdirAll(e.work, 0o755); err != nil {
		t.Fatal(err)
	}
	e.pol = AgentPolicy(e.work, e.priv)
	return e
}

func mustRun(t testing.TB, r Runner, argv ...string) Result {
	t.Helper()
	res, err := r.Run(context.Background(), Command{Argv: argv})
	if err != nil {
		t.Fatalf("run %q: %v", argv, err)
	}
	return res
}
