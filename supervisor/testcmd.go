package supervisor

import (
	"os"
	"path/filepath"
	"regexp"
)

var makeTestTarget = regexp.MustCompile(`(?m)^test\s*:`)

// DetectTestCommand guesses a repository's test command from its files:
// go.mod, package.json, Cargo.toml, a Makefile with a test target, Python
// project files. nil when nothing matches.
func DetectTestCommand(root string) []string {
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
