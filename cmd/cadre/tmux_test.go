//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTmuxDashboard runs `cadre demo --ui` in a real terminal (a tmux pane
// on a private server), watches the dashboard show the team and the
// finished run, closes it with q and checks what cadre prints afterwards.
//
// It never sleeps: tmux pipes the pane's output into a FIFO, and every
// chunk that arrives wakes the test to capture the screen and check it
// again, until an overall deadline fails with the last screen.
//
// With CADRE_UPDATE_SCREEN=1 the finished dashboard is saved as plain text
// to docs/dashboard.txt (the README shows it).
func TestTmuxDashboard(t *testing.T) {
	tmuxPath, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux not installed (CI installs it)")
		}
		t.Skip("tmux not installed")
	}
	tm := startTmux(t, tmuxPath)

	// A short path keeps the header's repo and branch within 160 columns.
	dir := filepath.Join(tm.priv, "d")
	tm.sendLine(fmt.Sprintf("%s demo --ui --dir %s; echo EXIT=$?", shQuote(cadreBin), shQuote(dir)))

	// 1. The agent tree: every address with its role.
	rows := []*regexp.Regexp{
		regexp.MustCompile(`║/root +planner `),
		regexp.MustCompile(`║  coder_a +coder `),
		regexp.MustCompile(`║  coder_b +coder `),
		regexp.MustCompile(`║  tester +tester `),
		regexp.MustCompile(`║  reviewer +reviewer `),
	}
	deadline := time.Now().Add(3 * time.Minute)
	screen := tm.waitFor(t, "the agent tree with all five agents", deadline, func(s string) bool {
		if !regexp.MustCompile(`║AGENT +ROLE +STATUS +GEN +MODEL`).MatchString(s) {
			return false
		}
		for _, re := range rows {
			if !re.MatchString(s) {
				return false
			}
		}
		return true
	})
	t.Logf("agent tree:\n%s", screen)

	// 2. The finished run: the header says succeeded, the elapsed time
	// stops, no agent failed; the dashboard stays open.
	header := regexp.MustCompile(`(?m)^(r-\d{8}-[a-z0-9]{4}) succeeded · agents [0-5]/5 working · tokens \S+ in / \S+ out · \$\d+\.\d+ · \S+ · approvals 0$`)
	screen = tm.waitFor(t, "the header of the succeeded run", deadline, func(s string) bool {
		return header.MatchString(s)
	})
	runID := header.FindStringSubmatch(screen)[1]
	for _, want := range []string{"\ntask Fix the two bugs", "main → cadre/" + runID, " agents (5) ", "q quit"} {
		if !strings.Contains(screen, want) {
			t.Errorf("finished screen lacks %q:\n%s", want, screen)
		}
	}
	for _, re := range rows {
		if !re.MatchString(screen) {
			t.Errorf("finished screen lacks the row %s:\n%s", re, screen)
		}
	}
	if regexp.MustCompile(`║ *\S+ +\S+ +failed `).MatchString(screen) {
		t.Errorf("an agent failed:\n%s", screen)
	}
	saveScreen(t, screen)

	// 3. q closes the dashboard; cadre prints its progress lines, the
	// result line last, and exits 0.
	tm.sendKeys("q")
	exitRe := regexp.MustCompile(`(?m)^EXIT=(\d+)$`)
	tm.waitFor(t, "cadre to exit after q (an EXIT= line)", time.Now().Add(time.Minute), func(string) bool {
		return exitRe.MatchString(tm.history(t))
	})
	all := tm.history(t)
	m := exitRe.FindStringSubmatchIndex(all)
	if code := all[m[2]:m[3]]; code != "0" {
		t.Errorf("cadre exited %s, want 0:\n%s", code, all)
	}
	var last string
	for _, line := range strings.Split(all[:m[0]], "\n") {
		if strings.TrimSpace(line) != "" {
			last = line
		}
	}
	result := regexp.MustCompile(`^result: (\S+) (cadre/r-\d{8}-[a-z0-9]{4}/result)$`)
	rm := result.FindStringSubmatch(last)
	if rm == nil {
		t.Fatalf("last line of output is %q, want %s; output:\n%s", last, result, all)
	}
	if want := "cadre/" + runID + "/result"; rm[2] != want {
		t.Errorf("result branch %s, dashboard showed %s", rm[2], want)
	}
	if want := filepath.Join(dir, "textstat"); rm[1] != want {
		t.Errorf("result repo %s, want %s", rm[1], want)
	}
	git(t, rm[1], "rev-parse", "--verify", "--quiet", rm[2]+"^{commit}")
}

// tmuxPane is one pane of a private tmux server, 160x45, running sh.
type tmuxPane struct {
	bin, sock string
	priv      string        // a short private directory, removed at the end
	chunks    chan struct{} // a chunk of pane output arrived
}

func startTmux(t *testing.T, bin string) *tmuxPane {
	t.Helper()
	// A short private directory: unix socket paths are limited in length.
	priv, err := os.MkdirTemp("", "ct")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(priv) })
	tm := &tmuxPane{bin: bin, priv: priv, sock: filepath.Join(priv, "sock"), chunks: make(chan struct{}, 1)}

	conf := filepath.Join(priv, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g status off\nset -g history-limit 100000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "cadre-home")
	shell := fmt.Sprintf("exec env -u TMUX TERM=xterm-256color CADRE_HOME=%s ENV= PS1='$ ' sh", shQuote(home))
	tm.run(t, "-f", conf, "new-session", "-d", "-s", "cadre", "-x", "160", "-y", "45", shell)
	t.Cleanup(func() { _ = exec.Command(bin, "-S", tm.sock, "kill-server").Run() })

	// The pane's output goes to a FIFO; opened read-write, it neither
	// blocks on open nor reports EOF when tmux's cat closes it.
	fifo := filepath.Join(priv, "out")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := f.Read(buf); err != nil {
				return
			}
			select {
			case tm.chunks <- struct{}{}:
			default: // a wake-up is already pending
			}
		}
	}()
	tm.run(t, "pipe-pane", "-t", "cadre", "cat >> "+shQuote(fifo))
	return tm
}

func (tm *tmuxPane) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(tm.bin, append([]string{"-S", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (tm *tmuxPane) sendLine(line string) {
	_ = exec.Command(tm.bin, "-S", tm.sock, "send-keys", "-t", "cadre", "-l", line).Run()
	_ = exec.Command(tm.bin, "-S", tm.sock, "send-keys", "-t", "cadre", "Enter").Run()
}

func (tm *tmuxPane) sendKeys(keys ...string) {
	_ = exec.Command(tm.bin, append([]string{"-S", tm.sock, "send-keys", "-t", "cadre"}, keys...)...).Run()
}

// screen is the visible pane as plain text, trailing spaces trimmed.
func (tm *tmuxPane) screen(t *testing.T) string {
	return trimLines(tm.run(t, "capture-pane", "-p", "-t", "cadre"))
}

// history is the whole pane, scrollback included, wrapped lines joined.
func (tm *tmuxPane) history(t *testing.T) string {
	return trimLines(tm.run(t, "capture-pane", "-p", "-J", "-S", "-", "-t", "cadre"))
}

// waitFor captures the screen each time output arrives until ok holds, and
// fails with the last screen at the deadline.
func (tm *tmuxPane) waitFor(t *testing.T, what string, deadline time.Time, ok func(screen string) bool) string {
	t.Helper()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		s := tm.screen(t)
		if ok(s) {
			return s
		}
		select {
		case <-tm.chunks:
		case <-timer.C:
			s = tm.screen(t)
			if ok(s) {
				return s
			}
			t.Fatalf("timed out waiting for %s; last screen:\n%s\nwhole pane:\n%s", what, s, tm.history(t))
		}
	}
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
}

// saveScreen writes the finished dashboard to docs/dashboard.txt when
// CADRE_UPDATE_SCREEN=1.
func saveScreen(t *testing.T, screen string) {
	t.Helper()
	if strings.ContainsAny(screen, "\x1b\r") {
		t.Fatalf("captured screen holds control characters: %q", screen)
	}
	if os.Getenv("CADRE_UPDATE_SCREEN") != "1" {
		return
	}
	path := filepath.Join("..", "..", "docs", "dashboard.txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(screen), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
