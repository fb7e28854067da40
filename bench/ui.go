package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/cadre-dev/cadre/ui"
)

// uiChildEnv, when set to "AGENTS,RATE,DURATION", makes this executable (the
// bench binary or its test binary) measure the dashboard and print the
// ui.LoadResult as JSON on stdout, nothing else.
const uiChildEnv = "CADRE_BENCH_UI_CHILD"

// uiChildFromEnv runs the child's measurement when uiChildEnv is set.
func uiChildFromEnv() (code int, ok bool) {
	spec := os.Getenv(uiChildEnv)
	if spec == "" {
		return 0, false
	}
	var agents, rate int
	var d time.Duration
	var ds string
	if _, err := fmt.Sscanf(spec, "%d,%d,%s", &agents, &rate, &ds); err != nil {
		fmt.Fprintf(os.Stderr, "bench ui child: bad %s=%q: %v\n", uiChildEnv, spec, err)
		return 2, true
	}
	d, err := time.ParseDuration(ds)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench ui child: bad duration %q: %v\n", ds, err)
		return 2, true
	}
	res, err := measureUIHere(agents, rate, d)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench ui child:", err)
		return 1, true
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1, true
	}
	return 0, true
}

// measureUIHere runs ui.MeasureLoad in this process. Its peak RSS comes
// from getrusage, whose ru_maxrss survives exec on Linux: a child started by
// a Go process (vfork-style clone) would report the parent's peak. So the
// peak of this process's own memory, VmHWM, replaces it where /proc has it.
func measureUIHere(agents, rate int, d time.Duration) (ui.LoadResult, error) {
	res, err := ui.MeasureLoad(agents, rate, d)
	if err != nil {
		return res, err
	}
	if hwm, ok := vmHWM(); ok {
		res.MaxRSSBytes = hwm
	}
	return res, nil
}

// vmHWM reads the peak resident set size of this process's address space
// from /proc/self/status.
func vmHWM() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err != nil {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}

// measureUIChild re-executes this executable as a clean child that measures
// the dashboard, so that the peak RSS is the dashboard's alone.
func measureUIChild(agents, rate int, d time.Duration) (ui.LoadResult, error) {
	var res ui.LoadResult
	exe, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.Command(exe, "-only=ui")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d,%s", uiChildEnv, agents, rate, d))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("dashboard child: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return res, fmt.Errorf("dashboard child: %w: %q", err, stdout.Bytes())
	}
	return res, nil
}

// uiResult is row 6.
type uiResult struct {
	Load, Ref ui.LoadResult
}

func measureUI(cfg config) (uiResult, error) {
	var res uiResult
	var err error
	if res.Load, err = measureUIChild(cfg.uiAgents, cfg.uiRate, cfg.uiDur); err != nil {
		return res, err
	}
	res.Ref, err = measureUIChild(1, 1, cfg.uiRefDur)
	return res, err
}

func (r uiResult) rows() []row {
	if r.Load.Wall == 0 {
		return nil
	}
	l, f := r.Load, r.Ref
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	refLabel := " (1 agent x 1 ev/s)"
	return []row{
		{measure: fmt.Sprintf("6 dashboard CPU, %d agents x %d ev/s", l.Agents, l.EventsPerSec),
			figure: fmt.Sprintf("%.1f %% of a core", l.CPUShare*100), reference: fmt.Sprintf("%.1f %%", f.CPUShare*100) + refLabel,
			ratio: ratio(l.CPUShare, f.CPUShare), target: check(l.CPUShare <= 0.10, "<= 10 %"),
			method: fmt.Sprintf("ui.MeasureLoad in a clean child, %s, %d events; getrusage CPU / wall", l.Wall.Round(time.Millisecond), l.Events)},
		{measure: "  dashboard peak RSS", figure: fmt.Sprintf("%.1f MiB", mib(l.MaxRSSBytes)),
			reference: fmt.Sprintf("%.1f MiB", mib(f.MaxRSSBytes)) + refLabel, ratio: ratio(mib(l.MaxRSSBytes), mib(f.MaxRSSBytes)),
			target: check(mib(l.MaxRSSBytes) <= 100, "<= 100 MiB"), method: "VmHWM of the child (its getrusage max RSS would include the parent's peak)"},
		{measure: "  key-to-screen latency p50", figure: ms(l.KeyLatencyP50), reference: ms(f.KeyLatencyP50) + refLabel,
			ratio: ratio(float64(l.KeyLatencyP50), float64(f.KeyLatencyP50)), target: check(l.KeyLatencyP50 <= 50*time.Millisecond, "<= 50 ms"),
			method: fmt.Sprintf("'?'/Esc pressed %d times, until a drawn frame shows the page (100 ms tick)", len(l.KeyLatencies))},
		{measure: "  key-to-screen latency max", figure: ms(l.KeyLatencyMax), reference: ms(f.KeyLatencyMax) + refLabel,
			ratio: ratio(float64(l.KeyLatencyMax), float64(f.KeyLatencyMax)), target: check(l.KeyLatencyMax <= 50*time.Millisecond, "<= 50 ms"),
			method: "same presses, slowest"},
	}
}
