package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/sandbox"
)

// TestMain makes the test binary the sandbox helper and the dashboard
// child, as the bench binary is.
func TestMain(m *testing.M) {
	sandbox.HelperMain()
	if code, ok := uiChildFromEnv(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// figures is what one measure gives: named figures that must all be
// positive, and its table rows.
type figures struct {
	values map[string]float64
	rows   []row
}

// TestQuickFiguresArePositive runs every measure of the bench with tiny
// counts and checks that each figure and reference came out positive and
// that the measure prints its rows.
func TestQuickFiguresArePositive(t *testing.T) {
	cfg := quickConfig()
	cases := []struct {
		name    string
		sandbox bool
		run     func() (figures, error)
	}{
		{"orchestration", true, func() (figures, error) {
			r, err := measureOrchestration(cfg)
			return figures{map[string]float64{
				"per turn": float64(r.PerTurn), "model turn": float64(r.Model), "sandboxed true": float64(r.Sandbox),
				"bare true": float64(r.Bare), "snapshot": float64(r.Snapshot), "append": float64(r.Append),
				"events per turn": r.EventsPerTurn,
			}, r.rows()}, err
		}},
		{"start", true, func() (figures, error) {
			r, err := measureStart(cfg)
			return figures{map[string]float64{"start": float64(r.Start), "worktree add": float64(r.WorktreeAdd)}, r.rows()}, err
		}},
		{"sandbox", true, func() (figures, error) {
			r, err := measureSandbox(cfg)
			return figures{map[string]float64{"bare": float64(r.Bare), "reexec": float64(r.Reexec), "server": float64(r.Server)}, r.rows()}, err
		}},
		{"append", false, func() (figures, error) {
			r, err := measureAppend(cfg)
			return figures{map[string]float64{"group": r.Group, "each": r.Each}, r.rows()}, err
		}},
		{"replay", false, func() (figures, error) {
			r, err := measureReplay(cfg)
			return figures{map[string]float64{"agent scans": float64(r.AgentScan), "full scan": float64(r.FullScan)}, r.rows()}, err
		}},
		{"ui", false, func() (figures, error) {
			r, err := measureUI(cfg)
			return figures{map[string]float64{
				"cpu": r.Load.CPUShare, "rss": float64(r.Load.MaxRSSBytes), "events": float64(r.Load.Events),
				"key p50": float64(r.Load.KeyLatencyP50), "key max": float64(r.Load.KeyLatencyMax),
				"ref cpu": r.Ref.CPUShare, "ref rss": float64(r.Ref.MaxRSSBytes), "ref key p50": float64(r.Ref.KeyLatencyP50),
			}, r.rows()}, err
		}},
		{"worktree", false, func() (figures, error) {
			r, err := measureWorktree(cfg)
			return figures{map[string]float64{"add": float64(r.Add), "cli": float64(r.CLI)}, r.rows()}, err
		}},
		{"resume", false, func() (figures, error) {
			r, err := measureResume(cfg)
			return figures{map[string]float64{"resume": float64(r.Resume), "scan": float64(r.Scan)}, r.rows()}, err
		}},
		{"merge", false, func() (figures, error) {
			r, err := measureMerge(cfg)
			return figures{map[string]float64{"clean": float64(r.Clean.InMemory), "clean git": float64(r.Clean.GitMergeTree),
				"conflict": float64(r.Conflict.InMemory), "conflict git": float64(r.Conflict.GitMergeTree)}, mergeRows(r)}, err
		}},
		{"prompt", false, func() (figures, error) {
			r, err := measurePrompt(cfg)
			f := map[string]float64{}
			for _, p := range r.Roles {
				f[p.Role+" bytes"] = float64(p.Bytes)
			}
			return figures{f, r.rows()}, err
		}},
	}
	if len(cases) != len(measures()) {
		t.Fatalf("the test covers %d measures, the bench has %d", len(cases), len(measures()))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.sandbox {
				if p := sandbox.Probe(); !p.OK() {
					if os.Getenv("CADRE_REQUIRE_SANDBOX") == "1" {
						t.Fatalf("sandbox unavailable and CADRE_REQUIRE_SANDBOX=1: %s", p.Reason())
					}
					t.Skipf("sandbox unavailable: %s", p.Reason())
				}
			}
			f, err := c.run()
			if err != nil {
				t.Fatal(err)
			}
			for name, v := range f.values {
				if !(v > 0) {
					t.Errorf("%s = %v, want > 0", name, v)
				}
			}
			if len(f.rows) == 0 {
				t.Fatal("no rows")
			}
			var out bytes.Buffer
			printTable(&out, cfg, f.rows)
			for _, r := range f.rows {
				if r.method == "" {
					t.Errorf("row %q does not say what was timed", r.measure)
				}
				if !strings.Contains(out.String(), r.measure) || !strings.Contains(out.String(), r.figure) {
					t.Errorf("table does not show row %q:\n%s", r.measure, out.String())
				}
			}
			t.Logf("\n%s", out.String())
		})
	}
}
