package demo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cadre-dev/cadre/actors/model/scripted"
)

func TestScriptParses(t *testing.T) {
	s, err := scripted.ParseScript(Script())
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"/root", "/root/coder_a", "/root/coder_b", "/root/tester", "/root/reviewer"} {
		if len(s.Agents[addr]) == 0 {
			t.Errorf("no turns for %s", addr)
		}
	}
}

func TestWriteRepo(t *testing.T) {
	dir := t.TempDir()
	if err := WriteRepo(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"go.mod", "words.go", "words_test.go", "mean.go", "mean_test.go", "AGENTS.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
