// Command bench is what `make bench` runs: it measures cadre's costs on this
// machine and prints one table in which every figure stands next to a
// reference measured in the same run, with their ratio or difference.
//
// What is measured, and how (medians unless said otherwise):
//
//  1. Orchestration per model turn: a real run through the supervisor, its
//     lead (/root, role coder) driven by the scripted model server at zero
//     latency through N turns that each call shell ["true"], then report.
//     Per turn = (start of the last model request − start of the first) ÷ N,
//     from the server's request log. References: one bare tool-call model
//     turn through actors/model against a second scripted server, one
//     sandboxed `true` through sandbox.New, one plain exec of `true`.
//     Overhead = per turn − model turn − sandboxed exec; next to it, what
//     it is made of: a worktree snapshot of an unchanged worktree (taken
//     after every shell turn) and the run's journal events per turn.
//  2. Start to first model request: from calling Supervisor.Start to the
//     start of the first request the scripted server logged, fresh state
//     directory each time; reference `git worktree add -b` in the same repo.
//  3. Sandbox per command: sandbox.MeasureTrue (exec server and re-exec
//     helper against a bare exec of `true`).
//  4. Journal appends: journal.MeasureAppend with 64 writers, group commit
//     against one transaction (one fsync) per event.
//  5. Journal replay: 100 agents × 500 events appended to a fresh journal,
//     then every agent's events read through AgentEvents; reference one
//     full scan with Events.
//  6. Dashboard under load: ui.MeasureLoad (500 agents × 10 events/s) in a
//     clean child process (this binary re-executed with -only=ui); its
//     peak RSS is its VmHWM, since getrusage's maxrss survives exec and
//     would show the parent's peak. Reference: the same child with one
//     agent at one event per second.
//  7. Worktree add: worktree.Repo.Add against `git worktree add -b`,
//     alternated in the same repository.
//  8. Resume: a killed run of 100 agents × 500 events journaled (worktrees
//     still in place), then Supervisor.Resume timed until every agent has
//     rebuilt its conversation from its events and asked for a turn;
//     reference one scan of the same journal.
//  9. Prompts: each role's first request (bytes, estimated tokens) and the
//     share of each request of a 20-turn conversation that repeats the
//     previous one (prompt-cache prefix), both wire APIs.
//  10. Merge check: worktree/merge3's in-memory merge of two branches
//     against `git merge-tree --write-tree` on the same branches.
//
// -quick shrinks every count and duration (the tests use it). The binary is
// also the sandbox helper: main calls sandbox.HelperMain first.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cadre-dev/cadre/sandbox"
)

func main() {
	sandbox.HelperMain()
	if code, ok := uiChildFromEnv(); ok {
		os.Exit(code)
	}
	quick := flag.Bool("quick", false, "much shorter run (tiny counts), for tests and smoke checks")
	only := flag.String("only", "", "run one measure: orchestration, start, sandbox, append, replay, worktree; ui measures the dashboard in this process and prints its ui.LoadResult as JSON")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measures to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		code := run(cfgFor(*quick), *only, os.Stdout, os.Stderr)
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	cfg := cfgFor(*quick)
	if *only == "ui" && os.Getenv(uiChildEnv) == "" {
		// Manual use: measure in this process and print the JSON result.
		res, err := measureUIHere(cfg.uiAgents, cfg.uiRate, cfg.uiDur)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	os.Exit(run(cfg, *only, os.Stdout, os.Stderr))
}

func cfgFor(quick bool) config {
	if quick {
		return quickConfig()
	}
	return fullConfig()
}

// row is one line of the table.
type row struct {
	measure, figure, reference, ratio, target, method string
}

// measure is one section of the table.
type measure struct {
	name    string
	sandbox bool // needs an enforceable sandbox
	run     func(cfg config) ([]row, error)
}

func measures() []measure {
	return []measure{
		{"orchestration", true, func(c config) ([]row, error) { r, err := measureOrchestration(c); return r.rows(), err }},
		{"start", true, func(c config) ([]row, error) { r, err := measureStart(c); return r.rows(), err }},
		{"sandbox", true, func(c config) ([]row, error) { r, err := measureSandbox(c); return r.rows(), err }},
		{"append", false, func(c config) ([]row, error) { r, err := measureAppend(c); return r.rows(), err }},
		{"replay", false, func(c config) ([]row, error) { r, err := measureReplay(c); return r.rows(), err }},
		{"ui", false, func(c config) ([]row, error) { r, err := measureUI(c); return r.rows(), err }},
		{"worktree", false, func(c config) ([]row, error) { r, err := measureWorktree(c); return r.rows(), err }},
		{"resume", false, func(c config) ([]row, error) { r, err := measureResume(c); return r.rows(), err }},
		{"prompt", false, func(c config) ([]row, error) { r, err := measurePrompt(c); return r.rows(), err }},
		{"merge", false, func(c config) ([]row, error) { r, err := measureMerge(c); return mergeRows(r), err }},
	}
}

// run measures everything (or only one measure), prints the table to out
// and progress to log, and returns the exit code.
func run(cfg config, only string, out, log io.Writer) int {
	code := 0
	var rows []row
	probe := sandbox.Probe()
	found := false
	for _, m := range measures() {
		if only != "" && m.name != only {
			continue
		}
		found = true
		if m.sandbox && !probe.OK() {
			rows = append(rows, row{measure: m.name, figure: "not measured", method: "sandbox unavailable: " + probe.Reason()})
			continue
		}
		fmt.Fprintf(log, "bench: %s...\n", m.name)
		t0 := time.Now()
		rs, err := m.run(cfg)
		if err != nil {
			code = 1
			rows = append(rows, row{measure: m.name, figure: "FAILED", method: err.Error()})
			fmt.Fprintf(log, "bench: %s: %v\n", m.name, err)
			continue
		}
		fmt.Fprintf(log, "bench: %s done in %s\n", m.name, time.Since(t0).Round(time.Millisecond))
		rows = append(rows, rs...)
	}
	if !found {
		fmt.Fprintf(log, "bench: no measure %q\n", only)
		return 2
	}
	printTable(out, cfg, rows)
	return code
}

func printTable(out io.Writer, cfg config, rows []row) {
	mode := "full"
	if cfg.quick {
		mode = "quick"
	}
	fmt.Fprintf(out, "cadre bench (%s run, %s, sandbox: %s)\n", mode, time.Now().Format("2006-01-02 15:04"), sandbox.Probe())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tfigure\treference\tratio/overhead\ttarget\twhat was timed")
	fmt.Fprintln(tw, "-------\t------\t---------\t--------------\t------\t--------------")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.measure, r.figure, dash(r.reference), dash(r.ratio), dash(r.target), r.method)
	}
	_ = tw.Flush()
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// ratio formats a/b.
func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// diff formats a−b in milliseconds with a sign.
func diff(a, b time.Duration) string {
	return fmt.Sprintf("%+.2f ms", float64(a-b)/float64(time.Millisecond))
}

// check marks a target as met or missed.
func check(ok bool, target string) string {
	if ok {
		return target + " ok"
	}
	return target + " MISSED"
}
