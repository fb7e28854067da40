package supervisor

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var makeTestTarget = regexp.MustCompile(`(?m)^test\s*:`)

// agentsTestLine is a line of AGENTS.md naming the test command, e.g.
// "Test command: `make check`" or "- tests: `pytest -q`".
var agentsTestLine = regexp.MustCompile("(?im)^[\\s>*-]*(?:test command|tests?|run the tests with)\\s*:\\s*`([^`]+)`")

// DetectTestCommand finds a repository's test command: a line of AGENTS.md
// such as "Test command: `make check`", else a guess from its files:
// go.mod, Cargo.toml, package.json, a Makefile with a test target, Python
// project files. nil when nothing matches.
func DetectTestCommand(root string) []string {
	if b, err := os.ReadFile(filepath.Join(root, "AGENTS.md")); err == nil {
		if m := agentsTestLine.FindSubmatch(b); m != nil {
			if f := strings.Fields(string(m[1])); len(f) > 0 {
				return f
			}
		}
	}
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(root, name))
		return err == nil
	}
	switch {
	case exists("go.mod"):
		return []string{"go", "test", "./..."}
	case exists("Cargo.toml"):
		return []string{"cargo", "test"}
	case exists("package.json"):
		return []string{"npm", "test"}
	}
	if b, err := os.ReadFile(filepath.Join(root, "Makefile")); err == nil && makeTestTarget.Match(b) {
		return []string{"make", "test"}
	}
	for _, f := range []string{"pyproject.toml", "setup.py", "pytest.ini", "setup.cfg"} {
		if exists(f) {
			return []string{"pytest"}
		}
	}
	return nil
}
