//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func BenchmarkBareTrue(b *testing.B) {
	tru, err := exec.LookPath("true")
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if err := exec.Command(tru).Run(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRunner(b *testing.B, opt Option) {
	requireSandbox(b)
	e := newEnv(b)
	r, err := New(e.pol, opt)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for b.Loop() {
		if res, err := r.Run(context.Background(), Command{Argv: []string{"true"}}); err != nil || res.ExitCode != 0 {
			b.Fatal(err, res.ExitCode)
		}
	}
}

func BenchmarkReexecTrue(b *testing.B) { benchRunner(b, WithReexec()) }
func BenchmarkServerTrue(b *testing.B) { benchRunner(b, WithServer()) }

func TestMeasureTrue(t *testing.T) {
	requireSandbox(t)
	n := 3
	if v, err := strconv.Atoi(os.Getenv("CADRE_BENCH_N")); err == nil {
		n = v
	}
	bare, reexec, server, err := MeasureTrue(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("median of %d runs of true: bare %v, re-exec %v, exec server %v", n, bare, reexec, server)
	if bare <= 0 || reexec <= 0 || server <= 0 {
		t.Fatalf("medians %v %v %v", bare, reexec, server)
	}
}

func TestRunCLI(t *testing.T) {
	requireSandbox(t)
	e := newEnv(t)
	policy := filepath.Join(e.root, "rules.toml")
	writeFile(t, policy, "[[rule]]\nprefix = [\"make\", \"deploy\"]\ndecision = \"forbidden\"\nreason = \"humans deploy\"\n")
	var out, errb bytes.Buffer
	code, err := RunCLI(context.Background(), CLIOptions{Workdir: e.work, PrivateDir: e.priv, PolicyFile: policy,
		Argv: []string{"sh", "-c", "cat; pwd; exit 3"}}, strings.NewReader("in\n"), &out, &errb)
	if err != nil || code != 3 || out.String() != "in\n"+e.work+"\n" {
		t.Fatalf("code %d err %v out %q stderr %q", code, err, out.String(), errb.String())
	}
	code, err = RunCLI(context.Background(), CLIOptions{Workdir: e.work, PrivateDir: e.priv, PolicyFile: policy,
		Argv: []string{"make", "deploy"}}, nil, &out, &errb)
	if !errors.Is(err, ErrForbidden) || code == 0 || !strings.Contains(errb.String(), "rules.toml:1") {
		t.Fatalf("forbidden: code %d err %v stderr %q", code, err, errb.String())
	}
	if _, err := os.Stat(filepath.Join(e.priv, "home")); err != nil {
		t.Fatal(err)
	}
}
