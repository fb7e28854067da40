package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// Options configure the dashboard.
type Options struct {
	// Screen to draw on; nil opens the terminal.
	Screen tcell.Screen
	// Tick is the redraw period; at most one redraw per tick, and only when
	// something changed. 0 means 100ms.
	Tick time.Duration
	// Prices returns the cost in USD of usage on a model; nil counts 0.
	Prices func(model string, u messaging.Usage) float64

	hooks *hooks // for tests and MeasureLoad
}

// hooks observe the dashboard from tests and MeasureLoad.
type hooks struct {
	now       func() time.Time // the clock for ages and elapsed times
	afterDraw func(drawInfo)   // called on the UI goroutine after each draw
}

// drawInfo says what a finished draw showed.
type drawInfo struct {
	keys    uint64 // key events handled before this draw
	seq     uint64 // last event seq folded into the model when refreshed
	version uint64
	page    string
	screen  tcell.Screen
}

// Pages of the dashboard body.
const (
	pageTree      = "tree"
	pageDetail    = "detail"
	pageFlow      = "flow"
	pageApprovals = "approvals"
	pageHelp      = "help"
)

// Run opens the dashboard on one run and returns when the user closes it or
// ctx ends. Closing the dashboard never stops the run.
func Run(ctx context.Context, src Source, run string, opts Options) error {
	return newDashboard(src, run, opts).run(ctx)
}

type dashboard struct {
	src   Source
	runID string
	opts  Options
	model *Model
	app   *tview.Application
	now   func() time.Time

	header    *tview.TextView
	pages     *tview.Pages
	tree      *tview.Table
	detail    *tview.TextView
	flow      *tview.TextView
	approvals *tview.Table
	help      *tview.TextView
	footer    *tview.Pages
	status    *tview.TextView
	input     *tview.InputField

	// UI goroutine only.
	page         string
	filter       string
	detailAddr   messaging.Address
	rows         []AgentView // the tree's rows: agents passing the filter
	apRows       []ApprovalRow
	treeContent  *treeContent
	apContent    *rowsContent
	flowFollow   bool   // the flow keeps its newest line in view
	confirm      func() // pending yes/no question; y runs it
	inputDone    func(text string)
	inputChanged func(text string)
	lastRefresh  uint64

	keys  atomic.Uint64
	dirty atomic.Bool   // something besides the model changed since the last queued redraw
	gen   atomic.Uint64 // counts changes besides the model (notices, diffs)
	shown [2]uint64     // model version and gen the detail text was rendered from

	mu     sync.Mutex // guards notice and diffs
	notice string
	diffs  map[messaging.Address]string

	quitOnce sync.Once
	quit     chan struct{}
	ctx      context.Context
	bg       sync.WaitGroup // controls and diff fetches
}

func newDashboard(src Source, run string, opts Options) *dashboard {
	if opts.Tick <= 0 {
		opts.Tick = 100 * time.Millisecond
	}
	d := &dashboard{
		src: src, runID: run, opts: opts, model: NewModel(opts.Prices),
		app: tview.NewApplication(), now: time.Now, page: pageTree,
		diffs: map[messaging.Address]string{}, quit: make(chan struct{}),
	}
	if opts.hooks != nil && opts.hooks.now != nil {
		d.now = opts.hooks.now
	}
	d.build()
	if opts.Screen != nil {
		d.app.SetScreen(opts.Screen)
	}
	d.app.EnableMouse(true)
	return d
}

func (d *dashboard) build() {
	d.header = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	d.tree = tview.NewTable().SetFixed(1, 0).SetSelectable(true, false).SetSeparator(' ')
	d.treeContent = &treeContent{}
	d.tree.SetContent(d.treeContent)
	d.tree.SetBorder(true).SetTitle(" agents ")
	d.tree.SetSelectedFunc(func(int, int) { d.openDetail() })
	d.detail = tview.NewTextView().SetDynamicColors(true).SetWrap(true)
	d.detail.SetBorder(true)
	d.flow = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	d.flow.SetBorder(true).SetTitle(" message flow ")
	d.approvals = tview.NewTable().SetFixed(1, 0).SetSelectable(true, false).SetSeparator(' ')
	d.apContent = &rowsContent{head: ApprovalColumns}
	d.approvals.SetContent(d.apContent)
	d.approvals.SetBorder(true).SetTitle(" approvals ")
	d.help = tview.NewTextView().SetDynamicColors(true).SetText(HelpText)
	d.help.SetBorder(true).SetTitle(" help ")

	d.pages = tview.NewPages().
		AddPage(pageTree, d.tree, true, true).
		AddPage(pageDetail, d.detail, true, false).
		AddPage(pageFlow, d.flow, true, false).
		AddPage(pageApprovals, d.approvals, true, false).
		AddPage(pageHelp, d.help, true, false)

	d.status = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	d.input = tview.NewInputField().SetFieldBackgroundColor(tcell.ColorDarkBlue)
	d.input.SetChangedFunc(func(text string) {
		if d.inputChanged != nil {
			d.inputChanged(text)
		}
	})
	d.input.SetDoneFunc(func(key tcell.Key) {
		done := d.inputDone
		d.closeInput()
		if key == tcell.KeyEnter && done != nil {
			done(d.input.GetText())
		}
		d.refresh()
	})
	d.footer = tview.NewPages().AddPage("status", d.status, true, true).AddPage("input", d.input, true, false)

	root := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(d.header, 2, 0, false).
		AddItem(d.pages, 0, 1, true).
		AddItem(d.footer, 1, 0, false)
	d.app.SetRoot(root, true).SetFocus(d.tree)
	d.app.SetInputCapture(d.capture)
	d.app.SetAfterDrawFunc(func(screen tcell.Screen) {
		if d.opts.hooks != nil && d.opts.hooks.afterDraw != nil {
			d.opts.hooks.afterDraw(drawInfo{keys: d.keys.Load(), seq: d.lastRefresh, page: d.page, screen: screen})
		}
	})
}

// run drives the dashboard until quit or ctx ends.
func (d *dashboard) run(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	d.ctx = ctx

	var pump sync.WaitGroup
	pump.Add(1)
	go func() {
		defer pump.Done()
		evs, errs := d.src.Events(ctx, d.runID, 0)
		for ev := range evs {
			d.model.Apply(ev)
		}
		if err := <-errs; err != nil && ctx.Err() == nil {
			d.setNotice("[red]event stream: " + esc(err.Error()) + "[-]")
		} else if ctx.Err() == nil {
			d.setNotice("event stream ended")
		}
	}()

	appDone := make(chan struct{})
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		d.loop(ctx, appDone)
	}()

	d.refresh()
	err := d.app.Run()
	close(appDone)
	cancel()
	<-loopDone
	pump.Wait()
	d.bg.Wait()
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

// loop is the only goroutine that queues redraws, and the only one that
// stops the application: so it is never blocked in QueueUpdateDraw when the
// application stops.
func (d *dashboard) loop(ctx context.Context, appDone <-chan struct{}) {
	// Stop only once the event loop runs: before that, Stop would be lost.
	if !queueUpdate(d.app, appDone, func() {}) {
		return
	}
	t := time.NewTicker(d.opts.Tick)
	defer t.Stop()
	var queued uint64
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			d.app.Stop()
			return
		case <-d.quit:
			d.app.Stop()
			return
		case <-appDone:
			return
		case now := <-t.C:
			v := d.model.Version()
			if v == queued && !d.dirty.Load() && now.Sub(last) < time.Second {
				continue
			}
			queued, last = v, now
			d.dirty.Store(false)
			if !queueUpdate(d.app, appDone, func() { d.refresh(); d.app.ForceDraw() }) {
				return
			}
		}
	}
}

// queueUpdate runs f on the UI goroutine and waits for it; it returns false
// if the application ended first (then f never runs and the goroutine that
// queued it stays blocked: this happens only when the terminal failed).
func queueUpdate(app *tview.Application, appDone <-chan struct{}, f func()) bool {
	done := make(chan struct{})
	go func() {
		app.QueueUpdate(f)
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-appDone:
		return false
	}
}

func (d *dashboard) close() { d.quitOnce.Do(func() { close(d.quit) }) }

func (d *dashboard) setNotice(s string) {
	d.mu.Lock()
	d.notice = s
	d.mu.Unlock()
	d.gen.Add(1)
	d.dirty.Store(true)
}

// refresh renders the current page from a fresh snapshot. UI goroutine only.
func (d *dashboard) refresh() {
	s := d.model.Snapshot()
	now := d.now()
	d.lastRefresh = s.Seq
	d.header.SetText(HeaderText(s, now))
	switch d.page {
	case pageTree:
		sel := d.selected()
		d.rows = filterAgents(s.Agents, d.filter)
		d.treeContent.set(d.rows, now)
		row := 1
		for i, r := range d.rows {
			if r.Address == sel {
				row = i + 1
			}
		}
		if len(d.rows) > 0 {
			d.tree.Select(row, 0)
		}
		title := fmt.Sprintf(" agents (%d) ", len(d.rows))
		if d.filter != "" {
			title = fmt.Sprintf(" agents /%s (%d of %d) ", d.filter, len(d.rows), len(s.Agents))
		}
		d.tree.SetTitle(title)
	case pageDetail:
		if key := [2]uint64{s.Version, d.gen.Load()}; key != d.shown {
			d.shown = key
			det, _ := d.model.Detail(d.detailAddr)
			d.mu.Lock()
			diff := d.diffs[d.detailAddr]
			d.mu.Unlock()
			d.detail.SetText(DetailText(det, diff))
			d.detail.SetTitle(" " + d.detailAddr.String() + " ")
		}
	case pageFlow:
		lines := FlowLines(d.model.Flow(d.filter, 500))
		d.flow.SetText(strings.Join(lines, "\n"))
		if d.flowFollow {
			d.flow.ScrollToEnd()
		}
		title := " message flow "
		if d.filter != "" {
			title = " message flow /" + d.filter + " "
		}
		d.flow.SetTitle(title)
	case pageApprovals:
		sel := ""
		if r, _ := d.approvals.GetSelection(); r >= 1 && r <= len(d.apRows) {
			sel = d.apRows[r-1].ID
		}
		d.apRows = ApprovalRows(s.Approvals, now)
		d.apContent.cells = approvalCells(d.apRows)
		row := 1
		for i, r := range d.apRows {
			if r.ID == sel {
				row = i + 1
			}
		}
		if len(d.apRows) > 0 {
			d.approvals.Select(row, 0)
		}
		d.approvals.SetTitle(fmt.Sprintf(" approvals (%d) ", len(d.apRows)))
	}
	d.mu.Lock()
	notice := d.notice
	d.mu.Unlock()
	hint := footerHint(d.page)
	if notice != "" {
		hint = notice + " [gray]· " + hint + "[-]"
	}
	d.status.SetText(hint)
}

func footerHint(page string) string {
	switch page {
	case pageTree:
		return "[gray]Enter detail · p pause · i interrupt · s msg · P pause run · C cancel · m flow · a approvals · / filter · : cmd · ? help · q quit[-]"
	case pageApprovals:
		return "[gray]y approve · A approve always · n deny · Esc back · ? help · q close[-]"
	}
	return "[gray]Esc back · m flow · a approvals · / filter · : command · ? help · q close[-]"
}

// selected is the address of the selected tree row, zero if none.
func (d *dashboard) selected() messaging.Address {
	r, _ := d.tree.GetSelection()
	if r >= 1 && r <= len(d.rows) {
		return d.rows[r-1].Address
	}
	return messaging.Address{}
}

func (d *dashboard) show(page string) {
	d.page = page
	d.pages.SwitchToPage(page)
	switch page {
	case pageTree:
		d.app.SetFocus(d.tree)
	case pageApprovals:
		d.app.SetFocus(d.approvals)
	case pageDetail:
		d.app.SetFocus(d.detail)
	case pageFlow:
		d.flowFollow = true
		d.app.SetFocus(d.flow)
	case pageHelp:
		d.app.SetFocus(d.help)
	}
	d.shown = [2]uint64{}
	d.refresh()
}

func (d *dashboard) openDetail() {
	addr := d.selected()
	if addr.IsZero() {
		return
	}
	d.detailAddr = addr
	d.show(pageDetail)
	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		diff, err := d.src.Diff(d.ctx, d.runID, addr)
		if err != nil {
			if d.ctx.Err() == nil {
				d.setNotice("[red]diff: " + esc(err.Error()) + "[-]")
			}
			return
		}
		d.mu.Lock()
		d.diffs[addr] = diff
		d.mu.Unlock()
		d.gen.Add(1)
		d.dirty.Store(true)
	}()
}

// send sends a control in the background; the outcome shows in the footer.
func (d *dashboard) send(c messaging.Control) {
	c.By = "dashboard"
	if err := c.Validate(); err != nil {
		d.setNotice("[red]" + esc(err.Error()) + "[-]")
		return
	}
	what := c.Action
	if !c.Target.IsZero() {
		what += " " + c.Target.String()
	}
	if c.ApprovalID != "" {
		what += " " + c.ApprovalID
	}
	d.setNotice("sending " + esc(what) + "…")
	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		if err := d.src.Control(d.ctx, d.runID, c); err != nil {
			d.setNotice("[red]" + esc(what) + ": " + esc(err.Error()) + "[-]")
			return
		}
		d.setNotice("[green]sent " + esc(what) + "[-]")
	}()
}

// prompt opens the footer input; done runs on Enter with the text.
func (d *dashboard) prompt(label, text string, done, changed func(string)) {
	d.inputDone, d.inputChanged = done, nil
	d.input.SetLabel(label).SetText(text)
	d.inputChanged = changed
	d.footer.SwitchToPage("input")
	d.app.SetFocus(d.input)
}

func (d *dashboard) closeInput() {
	d.inputDone, d.inputChanged = nil, nil
	d.footer.SwitchToPage("status")
	d.show(d.page)
}

func (d *dashboard) ask(question string, yes func()) {
	d.confirm = yes
	d.setNotice("[yellow::b]" + esc(question) + " (y/N)[-::-]")
}

// capture handles the dashboard's keys before the focused widget.
func (d *dashboard) capture(ev *tcell.EventKey) *tcell.EventKey {
	d.keys.Add(1)
	if ev.Key() == tcell.KeyCtrlC {
		d.close()
		return nil
	}
	if d.app.GetFocus() == d.input {
		return ev
	}
	if d.confirm != nil {
		yes := d.confirm
		d.confirm = nil
		d.setNotice("")
		if ev.Key() == tcell.KeyRune && ev.Rune() == 'y' {
			yes()
		}
		d.refresh()
		return nil
	}
	switch ev.Key() {
	case tcell.KeyEscape:
		if d.page != pageTree {
			d.show(pageTree)
		} else if d.filter != "" {
			d.filter = ""
			d.refresh()
		}
		return nil
	case tcell.KeyEnter:
		if d.page == pageTree {
			d.openDetail()
			return nil
		}
		return ev
	case tcell.KeyUp, tcell.KeyPgUp, tcell.KeyHome:
		if d.page == pageFlow {
			d.flowFollow = false // the user reads back: stop following
		}
		return ev
	case tcell.KeyEnd:
		if d.page == pageFlow {
			d.flowFollow = true
		}
		return ev
	case tcell.KeyRune:
	default:
		return ev
	}
	switch r := ev.Rune(); r {
	case 'q':
		d.close()
	case '?':
		d.show(pageHelp)
	case 'm':
		d.show(pageFlow)
	case 'a':
		d.show(pageApprovals)
	case '/':
		d.prompt("/", d.filter, nil, func(text string) {
			d.filter = text
			d.refresh()
		})
	case ':':
		d.prompt(":", "", func(text string) {
			cmd, err := ParseCommand(text)
			switch {
			case err != nil:
				d.setNotice("[red]" + esc(err.Error()) + "[-]")
			case cmd.Quit:
				d.close()
			case cmd.Control.Action == messaging.ActionCancel:
				d.ask("Cancel the run?", func() { d.send(cmd.Control) })
			default:
				d.send(cmd.Control)
			}
		}, nil)
	default:
		switch d.page {
		case pageTree:
			return d.treeKey(ev)
		case pageApprovals:
			return d.approvalKey(ev)
		}
		return ev
	}
	return nil
}

func (d *dashboard) treeKey(ev *tcell.EventKey) *tcell.EventKey {
	sel := d.selected()
	switch ev.Rune() {
	case 'P':
		action := messaging.ActionPause
		if a, ok := d.model.Detail(messaging.Root); ok && a.Agent.Status == StatusPaused {
			action = messaging.ActionResume
		}
		d.send(messaging.Control{Action: action, Target: messaging.Root})
	case 'C':
		d.ask("Cancel the run?", func() { d.send(messaging.Control{Action: messaging.ActionCancel}) })
	case 'p', 'i', 's':
		if sel.IsZero() {
			return nil
		}
		switch ev.Rune() {
		case 'p':
			action := messaging.ActionPause
			for _, r := range d.rows {
				if r.Address == sel && r.Status == StatusPaused {
					action = messaging.ActionResume
				}
			}
			d.send(messaging.Control{Action: action, Target: sel})
		case 'i':
			d.send(messaging.Control{Action: messaging.ActionInterrupt, Target: sel})
		case 's':
			d.prompt("message to "+sel.String()+": ", "", func(text string) {
				if strings.TrimSpace(text) != "" {
					d.send(messaging.Control{Action: messaging.ActionMessage, Target: sel, Text: text})
				}
			}, nil)
		}
	default:
		return ev
	}
	d.refresh()
	return nil
}

func (d *dashboard) approvalKey(ev *tcell.EventKey) *tcell.EventKey {
	r, _ := d.approvals.GetSelection()
	if r < 1 || r > len(d.apRows) {
		return ev
	}
	id := d.apRows[r-1].ID
	switch ev.Rune() {
	case 'y':
		d.send(messaging.Control{Action: messaging.ActionApprove, ApprovalID: id})
	case 'A':
		d.send(messaging.Control{Action: messaging.ActionApprove, ApprovalID: id, Always: true})
	case 'n':
		d.prompt("deny "+id+", reason: ", "", func(text string) {
			d.send(messaging.Control{Action: messaging.ActionDeny, ApprovalID: id, Text: text})
		}, nil)
	default:
		return ev
	}
	d.refresh()
	return nil
}

// rowsContent shows rows kept by the dashboard without copying them into
// table cells: only visible cells are built, when drawn.
type rowsContent struct {
	tview.TableContentReadOnly
	head  []string
	cells [][]string
}

func (c *rowsContent) GetCell(row, col int) *tview.TableCell {
	if col >= len(c.head) {
		return nil
	}
	if row == 0 {
		return tview.NewTableCell(c.head[col]).SetSelectable(false).SetAttributes(tcell.AttrBold).SetTextColor(tcell.ColorYellow)
	}
	if row-1 >= len(c.cells) {
		return nil
	}
	cell := tview.NewTableCell(tview.Escape(c.cells[row-1][col]))
	if col == len(c.head)-1 {
		cell.SetExpansion(1).SetMaxWidth(0)
	} else {
		cell.SetMaxWidth(40)
	}
	return cell
}

func (c *rowsContent) GetRowCount() int {
	return len(c.cells) + 1
}

func (c *rowsContent) GetColumnCount() int { return len(c.head) }

// treeContent shows the agent tree; a row's cells are formatted only when
// the table draws it, so a tick with 500 agents formats only the visible
// rows.
type treeContent struct {
	tview.TableContentReadOnly
	agents []AgentView
	cells  [][]string // formatted rows, nil until drawn
	now    time.Time
}

func (c *treeContent) set(agents []AgentView, now time.Time) {
	c.agents, c.now = agents, now
	if cap(c.cells) >= len(agents) {
		c.cells = c.cells[:len(agents)]
		clear(c.cells)
	} else {
		c.cells = make([][]string, len(agents))
	}
}

func (c *treeContent) GetCell(row, col int) *tview.TableCell {
	if col >= len(TreeColumns) {
		return nil
	}
	if row == 0 {
		return tview.NewTableCell(TreeColumns[col]).SetSelectable(false).SetAttributes(tcell.AttrBold).SetTextColor(tcell.ColorYellow)
	}
	i := row - 1
	if i >= len(c.agents) {
		return nil
	}
	if c.cells[i] == nil {
		c.cells[i] = TreeRowOf(c.agents[i], c.now).Cells
	}
	cell := tview.NewTableCell(tview.Escape(c.cells[i][col]))
	if col == len(TreeColumns)-1 {
		cell.SetExpansion(1)
	} else {
		cell.SetMaxWidth(40)
	}
	if TreeColumns[col] == "STATUS" {
		cell.SetTextColor(tcell.GetColor(StatusColor(c.agents[i].Status)))
	}
	return cell
}

func (c *treeContent) GetRowCount() int    { return len(c.agents) + 1 }
func (c *treeContent) GetColumnCount() int { return len(TreeColumns) }

func approvalCells(rows []ApprovalRow) [][]string {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = r.Cells
	}
	return cells
}
