package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// MeasureTrue runs `true` n times each way — a plain exec, the re-exec
// path, the exec-server path — and returns the medians. The current
// executable must call HelperMain first (cmd/cadre does); `make bench`
// prints the result.
func MeasureTrue(n int) (bare, reexec, server time.Duration, err error) {
	if n < 1 {
		n = 1
	}
	tru, err := exec.LookPath("true")
	if err != nil {
		return 0, 0, 0, fmt.Errorf("sandbox: bench: %w", err)
	}
	dir, err := os.MkdirTemp("", "cadre-bench-")
	if err != nil {
		return 0, 0, 0, fmt.Errorf("sandbox: bench: %w", err)
	}
	defer os.RemoveAll(dir)
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return 0, 0, 0, fmt.Errorf("sandbox: bench: %w", err)
	}
	p := AgentPolicy(work, filepath.Join(dir, "priv"))
	median := func(run func() error) (time.Duration, error) {
		ds := make([]time.Duration, 0, n)
		for range n {
			start := time.Now()
			if err := run(); err != nil {
				return 0, err
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2], nil
	}
	if bare, err = median(func() error { return exec.Command(tru).Run() }); err != nil {
		return 0, 0, 0, fmt.Errorf("sandbox: bench bare: %w", err)
	}
	for _, c := range []struct {
		opt Option
		out *time.Duration
	}{{WithReexec(), &reexec}, {WithServer(), &server}} {
		r, err := New(p, c.opt)
		if err != nil {
			return 0, 0, 0, err
		}
		*c.out, err = median(func() error {
			res, err := r.Run(context.Background(), Command{Argv: []string{"true"}})
			if err == nil && res.ExitCode != 0 {
				err = fmt.Errorf("true exited %d: %s", res.ExitCode, res.Output)
			}
			return err
		})
		r.Close()
		if err != nil {
			return 0, 0, 0, fmt.Errorf("sandbox: bench: %w", err)
		}
	}
	return bare, reexec, server, nil
}
