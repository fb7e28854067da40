package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/gdamore/tcell/v2"
)

// LoadResult is what MeasureLoad measured.
type LoadResult struct {
	Agents        int
	EventsPerSec  int           // per agent
	Events        uint64        // events generated and applied
	Wall          time.Duration // measured interval
	CPUShare      float64       // process CPU time ÷ wall time: 0.05 is 5 % of one core
	MaxRSSBytes   int64         // peak resident set size of the process
	KeyLatencies  []time.Duration
	KeyLatencyP50 time.Duration
	KeyLatencyMax time.Duration
}

// String prints the result on one line.
func (r LoadResult) String() string {
	return fmt.Sprintf("%d agents × %d ev/s for %s: %d events, CPU %.1f%% of one core, peak RSS %.1f MiB, key-to-screen p50 %s max %s (n=%d)",
		r.Agents, r.EventsPerSec, r.Wall.Round(time.Millisecond), r.Events, r.CPUShare*100,
		float64(r.MaxRSSBytes)/(1<<20), r.KeyLatencyP50.Round(time.Microsecond), r.KeyLatencyMax.Round(time.Microsecond), len(r.KeyLatencies))
}

// MeasureLoad runs the real dashboard (100 ms tick) on a 120x40 simulated
// screen, fed by a generator of agents × eventsPerSec events per second for
// d, and measures the process's CPU share of one core (getrusage), its peak
// RSS, and key-to-screen latency: about 20 times it presses '?' or Esc and
// times until a drawn frame shows the help page opened or closed.
func MeasureLoad(agents, eventsPerSec int, d time.Duration) (LoadResult, error) {
	if agents < 1 || eventsPerSec < 1 || d <= 0 {
		return LoadResult{}, errors.New("measure load: agents, eventsPerSec and d must be positive")
	}
	drv, err := newSimDriver(120, 40)
	if err != nil {
		return LoadResult{}, err
	}
	drv.capture.Store(false)
	gen := newGenSource(agents, eventsPerSec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, gen, "r-20261123-load", Options{Screen: drv.screen, Tick: 100 * time.Millisecond, hooks: drv.hooks(nil)})
	}()
	// Warm up: all agents started and drawn.
	if _, err := drv.wait(30*time.Second, func(f frame) bool { return f.seq >= uint64(agents) }); err != nil {
		cancel()
		<-done
		return LoadResult{}, fmt.Errorf("measure load: warm up: %w", err)
	}
	gen.start()

	cpu0, _, err := processUsage()
	if err != nil {
		return LoadResult{}, err
	}
	startSeq := gen.seqNow()
	t0 := time.Now()
	const presses = 20
	gap := d / (presses + 1)
	var lat []time.Duration
	var measureErr error
	for i := range presses {
		// Pace the presses over d without sleeping on the UI: wait on a timer.
		<-time.After(time.Until(t0.Add(gap * time.Duration(i+1))))
		page, key, r := pageHelp, tcell.KeyRune, '?'
		if i%2 == 1 {
			page, key, r = pageTree, tcell.KeyEscape, 0
		}
		k0 := time.Now()
		n := drv.key(key, r, tcell.ModNone)
		if _, err := drv.wait(5*time.Second, func(f frame) bool { return f.keys >= n && f.page == page }); err != nil {
			measureErr = fmt.Errorf("measure load: key %d: %w", i, err)
			break
		}
		lat = append(lat, time.Since(k0))
	}
	<-time.After(time.Until(t0.Add(d)))
	wall := time.Since(t0)
	cpu1, maxRSS, err := processUsage()
	if err != nil {
		return LoadResult{}, err
	}
	events := gen.seqNow() - startSeq
	gen.stop()
	cancel()
	if err := <-done; err != nil && measureErr == nil {
		measureErr = fmt.Errorf("measure load: dashboard: %w", err)
	}
	cpu := cpu1 - cpu0
	res := LoadResult{
		Agents: agents, EventsPerSec: eventsPerSec, Events: events, Wall: wall,
		CPUShare: cpu.Seconds() / wall.Seconds(), MaxRSSBytes: maxRSS, KeyLatencies: lat,
	}
	if len(lat) > 0 {
		s := slices.Clone(lat)
		slices.Sort(s)
		res.KeyLatencyP50, res.KeyLatencyMax = s[len(s)/2], s[len(s)-1]
	}
	return res, measureErr
}

// genSource is a Source whose run is a generated team: agents /root/wN,
// each cycling through a turn, a shell call and its result, a model turn
// and a message, at a fixed rate per agent.
type genSource struct {
	agents, rate int
	mu           sync.Mutex
	seq          uint64
	startOnce    sync.Once
	begin        chan struct{} // closed: the steady load starts
	stopOnce     sync.Once
	halt         chan struct{}
}

func newGenSource(agents, rate int) *genSource {
	return &genSource{agents: agents, rate: rate, begin: make(chan struct{}), halt: make(chan struct{})}
}

func (g *genSource) start() { g.startOnce.Do(func() { close(g.begin) }) }
func (g *genSource) stop()  { g.stopOnce.Do(func() { close(g.halt) }) }

func (g *genSource) seqNow() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seq
}

func (g *genSource) Runs(context.Context) ([]messaging.RunSummary, error) {
	return []messaging.RunSummary{{ID: "r-20261123-load", Status: "running", Agents: g.agents, Active: true}}, nil
}

func (g *genSource) Control(context.Context, string, messaging.Control) error { return nil }

func (g *genSource) Diff(context.Context, string, messaging.Address) (string, error) {
	return "", nil
}

func (g *genSource) Events(ctx context.Context, run string, _ uint64) (<-chan messaging.Event, <-chan error) {
	errc := make(chan error)
	out := make(chan messaging.Event, 1024)
	go func() {
		defer close(errc)
		defer close(out)
		addrs := make([]messaging.Address, g.agents)
		addrs[0] = messaging.Root
		for i := 1; i < g.agents; i++ {
			addrs[i] = messaging.MustParseAddress(fmt.Sprintf("/root/w%d", i))
		}
		emit := func(addr messaging.Address, p messaging.Payload) bool {
			g.mu.Lock()
			g.seq++
			ev := messaging.NewEvent(run, addr, 1, time.Now(), p)
			ev.Seq = g.seq
			g.mu.Unlock()
			select {
			case out <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		// Payloads are built once: the generator should cost little next
		// to the dashboard it measures.
		cycle := []messaging.Payload{
			messaging.TurnStarted{Turn: 1},
			messaging.ToolCallStarted{CallID: "c1", Name: "shell", Arguments: `{"command":["go","test","./..."]}`},
			messaging.ToolResult{CallID: "c1", Name: "shell", Output: "ok  \texample.com/sum\t0.01s", DurationMS: 900},
			messaging.ModelTurn{Turn: 1, Model: "gpt-5-codex", Text: "Tests pass; reporting.", Usage: messaging.Usage{Input: 1200, Output: 80}},
			messaging.Waiting{},
		}
		raws := make([]json.RawMessage, len(cycle))
		for i, p := range cycle {
			raws[i] = messaging.NewEvent(run, messaging.Root, 1, time.Time{}, p).Data
		}
		for i, a := range addrs {
			role := "coder"
			if i == 0 {
				role = "planner"
			}
			if !emit(a, messaging.AgentStarted{Role: role, Task: "work", Model: "gpt-5-codex"}) {
				return
			}
		}
		select {
		case <-g.begin:
		case <-ctx.Done():
			return
		}
		// Every 10ms, emit what the rate owes since the start, so that a
		// late tick is caught up rather than lost.
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		perSec := float64(g.agents * g.rate)
		began := time.Now()
		next := 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-g.halt:
				return
			case <-tick.C:
			}
			owed := int(perSec*time.Since(began).Seconds()) - next
			for ; owed > 0; owed-- {
				k := next % (g.agents * len(cycle))
				agent, step := addrs[k%g.agents], k/g.agents
				next++
				g.mu.Lock()
				g.seq++
				ev := messaging.Event{Seq: g.seq, Time: time.Now(), Run: run, Agent: agent, Gen: 1, Type: cycle[step].EventType(), Data: raws[step]}
				g.mu.Unlock()
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, errc
}
