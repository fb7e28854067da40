package ui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// ErrNoRunChosen is returned by Pick when the list is closed without a choice.
var ErrNoRunChosen = errors.New("no run chosen")

// Pick lists the runs, active ones first then newest first, and returns
// the id of the run the user opens with Enter. q, Esc or Ctrl-C return
// ErrNoRunChosen.
func Pick(ctx context.Context, src Source, opts Options) (string, error) {
	runs, err := src.Runs(ctx)
	if err != nil {
		return "", fmt.Errorf("list runs: %w", err)
	}
	sort.SliceStable(runs, func(i, j int) bool {
		if runs[i].Active != runs[j].Active {
			return runs[i].Active
		}
		return runs[i].Started.After(runs[j].Started)
	})
	now := time.Now
	if opts.hooks != nil && opts.hooks.now != nil {
		now = opts.hooks.now
	}
	app := tview.NewApplication()
	content := &rowsContent{head: RunColumns, cells: RunRows(runs, now())}
	table := tview.NewTable().SetFixed(1, 0).SetSelectable(true, false).SetSeparator(' ')
	table.SetContent(content)
	table.SetBorder(true).SetTitle(fmt.Sprintf(" runs (%d) · Enter open · q close ", len(runs)))
	if len(runs) > 0 {
		table.Select(1, 0)
	}

	var chosen string
	done := make(chan struct{})
	var once bool
	stop := func() {
		if !once {
			once = true
			close(done)
		}
	}
	table.SetSelectedFunc(func(row, _ int) {
		if row >= 1 && row <= len(runs) {
			chosen = runs[row-1].ID
			stop()
		}
	})
	app.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		switch {
		case ev.Key() == tcell.KeyCtrlC, ev.Key() == tcell.KeyEscape, ev.Key() == tcell.KeyRune && ev.Rune() == 'q':
			stop()
			return nil
		}
		return ev
	})
	app.SetRoot(table, true).EnableMouse(true)
	if opts.Screen != nil {
		app.SetScreen(opts.Screen)
	}
	if opts.hooks != nil && opts.hooks.afterDraw != nil {
		app.SetAfterDrawFunc(func(s tcell.Screen) { opts.hooks.afterDraw(drawInfo{page: "pick", screen: s}) })
	}
	// The application is stopped from this goroutine only, never while a
	// queued update waits.
	stopped := make(chan struct{})
	appDone := make(chan struct{})
	go func() {
		defer close(stopped)
		if !queueUpdate(app, appDone, func() {}) {
			return // the app ended before it ran
		}
		select {
		case <-done:
		case <-ctx.Done():
		}
		app.Stop()
	}()
	runErr := app.Run()
	close(appDone)
	stop()
	<-stopped
	if runErr != nil {
		return "", fmt.Errorf("run picker: %w", runErr)
	}
	if chosen == "" {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", ErrNoRunChosen
	}
	return chosen, nil
}
