package ui

import (
	"time"

	"github.com/gdamore/tcell/v2"
)

// Simulator runs the dashboard on a simulated screen for tests outside this
// package: inject keys, then wait (without sleeping) for a draw whose screen
// satisfies a condition — the lazygit way of testing a TUI.
type Simulator struct{ d *simDriver }

// NewSimulator makes a w×h simulated screen.
func NewSimulator(w, h int) (*Simulator, error) {
	d, err := newSimDriver(w, h)
	if err != nil {
		return nil, err
	}
	return &Simulator{d: d}, nil
}

// Options returns dashboard options that draw on the simulated screen and
// report every draw to the simulator.
func (s *Simulator) Options() Options {
	return Options{Screen: s.d.screen, Tick: 20 * time.Millisecond, hooks: s.d.hooks(nil)}
}

// Key injects one key; Rune one character; Type a string.
func (s *Simulator) Key(k tcell.Key) { s.d.key(k, 0, tcell.ModNone) }

// Rune injects one character key.
func (s *Simulator) Rune(r rune) { s.d.key(tcell.KeyRune, r, tcell.ModNone) }

// Type injects the characters of text.
func (s *Simulator) Type(text string) { s.d.typeText(text) }

// WaitKeys waits for a draw that has handled every injected key and whose
// screen text satisfies ok; the error carries the last screen.
func (s *Simulator) WaitKeys(timeout time.Duration, ok func(screen string) bool) (string, error) {
	keys := s.d.keys
	f, err := s.d.wait(timeout, func(f frame) bool { return f.keys >= keys && ok(f.text) })
	return f.text, err
}
