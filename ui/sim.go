package ui

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
)

// errTimeout is returned when a simulated screen never showed what was
// awaited.
var errTimeout = errors.New("timed out waiting for the screen")

// frame is what one draw of the dashboard showed.
type frame struct {
	n    uint64 // counts draws
	keys uint64
	seq  uint64
	page string
	text string // the screen as text, when captured
}

// simDriver runs the dashboard on a tcell.SimulationScreen for tests and
// MeasureLoad: it injects keys and lets the caller wait for a draw that
// satisfies a condition, without sleeping.
type simDriver struct {
	screen  tcell.SimulationScreen
	capture atomic.Bool // capture screen text on each draw
	keys    uint64      // keys injected; caller goroutine only

	mu      sync.Mutex
	last    frame
	changed chan struct{} // closed and replaced on every draw
}

func newSimDriver(w, h int) (*simDriver, error) {
	s := &sizedScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8"), w: w, h: h}
	if err := s.Init(); err != nil {
		return nil, fmt.Errorf("init simulation screen: %w", err)
	}
	d := &simDriver{screen: s, changed: make(chan struct{})}
	d.capture.Store(true)
	return d, nil
}

// sizedScreen keeps its size through Init, which tview calls again.
type sizedScreen struct {
	tcell.SimulationScreen
	w, h int
}

func (s *sizedScreen) Init() error {
	if err := s.SimulationScreen.Init(); err != nil {
		return err
	}
	s.SetSize(s.w, s.h)
	return nil
}

// hooks returns the dashboard hooks that report draws to the driver.
func (s *simDriver) hooks(now func() time.Time) *hooks {
	return &hooks{now: now, afterDraw: s.afterDraw}
}

func (s *simDriver) afterDraw(info drawInfo) {
	text := ""
	if s.capture.Load() {
		text = screenText(info.screen)
	}
	s.mu.Lock()
	s.last = frame{n: s.last.n + 1, keys: info.keys, seq: info.seq, page: info.page, text: text}
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// key injects one key event and returns how many keys were injected.
func (s *simDriver) key(k tcell.Key, r rune, mod tcell.ModMask) uint64 {
	s.keys++
	s.screen.InjectKey(k, r, mod)
	return s.keys
}

// typeText injects the runes of text.
func (s *simDriver) typeText(text string) uint64 {
	for _, r := range text {
		s.key(tcell.KeyRune, r, tcell.ModNone)
	}
	return s.keys
}

// wait returns the first frame (the current one included) for which ok
// holds, or errTimeout after timeout.
func (s *simDriver) wait(timeout time.Duration, ok func(frame) bool) (frame, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		f, ch := s.last, s.changed
		s.mu.Unlock()
		if f.n > 0 && ok(f) {
			return f, nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return f, fmt.Errorf("%w: last frame (draw %d, keys %d, seq %d, page %s):\n%s", errTimeout, f.n, f.keys, f.seq, f.page, f.text)
		}
	}
}

// screenText returns the drawn cells of a screen as lines of text without
// trailing spaces.
func screenText(screen tcell.Screen) string {
	w, h := screen.Size()
	var b strings.Builder
	var line strings.Builder
	for y := range h {
		line.Reset()
		for x := 0; x < w; {
			str, _, width := screen.Get(x, y)
			if str == "" {
				str = " "
			}
			line.WriteString(str)
			x += max(width, 1)
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}
