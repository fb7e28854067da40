package supervisor

import (
	"errors"
	"os"
	"path/filepath"
)

// StateDir returns where cadre keeps its state: $CADRE_HOME, else
// $XDG_STATE_HOME/cadre, else ~/.local/state/cadre.
func StateDir() (string, error) {
	if d := os.Getenv("CADRE_HOME"); d != "" {
		return filepath.Abs(d)
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "cadre"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", errors.New("cannot find the state directory: set CADRE_HOME")
	}
	return filepath.Join(home, ".local", "state", "cadre"), nil
}

// Paths inside a state directory.
func journalPath(state string) string { return filepath.Join(state, "cadre.db") }
func runDir(state, run string) string { return filepath.Join(state, "runs", run) }
func worktreeDir(state, run, slug string) string {
	return filepath.Join(runDir(state, run), "wt", slug)
}
func privateDir(state, run, slug string) string {
	return filepath.Join(runDir(state, run), "home", slug)
}
