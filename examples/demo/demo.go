// Package demo holds cadre's demo: a small Go repository with two real bugs
// and failing tests, and the script the scripted model server plays so that
// a real team (planner, two coders, tester, reviewer) fixes them without a
// model or an API key. The script is a stand-in for a model, not a model:
// every tool call in it is executed for real.
package demo

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

//go:embed testdata/repo script.json
var files embed.FS

// Task is the task the demo gives the team.
const Task = "Fix the two bugs in textstat (WordCount and Mean) so that go test ./... passes."

// Script returns the bundled script for the scripted model server.
func Script() []byte {
	b, err := files.ReadFile("script.json")
	if err != nil {
		panic(err)
	}
	return b
}

// WriteRepo writes the sample repository's files into dir (not git-initialised).
func WriteRepo(dir string) error {
	sub, err := fs.Sub(files, "testdata/repo")
	if err != nil {
		return err
	}
	return fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// go.mod is stored as go.mod.in: a go.mod would make the sample a
		// module of its own, which go:embed refuses.
		target := filepath.Join(dir, strings.TrimSuffix(path, ".in"))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return fmt.Errorf("write demo file %s: %w", path, err)
		}
		return nil
	})
}
