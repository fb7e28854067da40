package supervisor

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDetectTestCommand(t *testing.T) {
	tests := []struct {
		files map[string]string
		want  []string
	}{
		{map[string]string{"go.mod": "module x\n"}, []string{"go", "test", "./..."}},
		{map[string]string{"Cargo.toml": ""}, []string{"cargo", "test"}},
		{map[string]string{"package.json": "{}"}, []string{"npm", "test"}},
		{map[string]string{"Makefile": "build:\n\ttrue\ntest: build\n\ttrue\n"}, []string{"make", "test"}},
		{map[string]string{"Makefile": "build:\n\ttrue\n"}, nil},
		{map[string]string{"pyproject.toml": ""}, []string{"pytest"}},
		{map[string]string{"README": ""}, nil},
		{map[string]string{"go.mod": "module x\n", "AGENTS.md": "# x\n\nTest command: `make check`\n"}, []string{"make", "check"}},
		{map[string]string{"AGENTS.md": "Notes.\n- tests: `pytest -q tests/`\n"}, []string{"pytest", "-q", "tests/"}},
		{map[string]string{"go.mod": "module x\n", "AGENTS.md": "Run `go test ./...` before you report.\n"}, []string{"go", "test", "./..."}},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		for name, body := range tt.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := DetectTestCommand(dir); !slices.Equal(got, tt.want) {
			t.Errorf("%v: got %v want %v", tt.files, got, tt.want)
		}
	}
}
