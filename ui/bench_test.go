package ui

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

var loadDuration = flag.Duration("load", 10*time.Second, "how long BenchmarkMeasureLoad generates load")

// benchEvents is a mix of the events a busy team produces, for n agents.
func benchEvents(n int) []messaging.Event {
	var evs []messaging.Event
	addrs := make([]messaging.Address, n)
	for i := range addrs {
		addrs[i] = messaging.MustParseAddress(fmt.Sprintf("/root/w%d", i))
	}
	seq := uint64(0)
	add := func(a messaging.Address, p messaging.Payload) {
		seq++
		evs = append(evs, ev(seq, a, p))
	}
	for _, a := range addrs {
		add(a, messaging.AgentStarted{Role: "coder", Model: "gpt-5-mini"})
	}
	for _, a := range addrs {
		add(a, messaging.TurnStarted{Turn: 1})
		add(a, messaging.ToolCallStarted{CallID: "c", Name: "shell", Arguments: `{"command":["go","test","./..."]}`})
		add(a, messaging.ToolResult{CallID: "c", Name: "shell", Output: "ok  \tsum\t0.01s", DurationMS: 800})
		add(a, messaging.ModelTurn{Turn: 1, Text: "done", Usage: messaging.Usage{Input: 1000, Output: 100}})
		env, _ := messaging.NewEnvelope(testRun, a, messaging.Root, 1, 1, t0, messaging.Report{Status: "done", Summary: "ok"})
		add(a, messaging.MessageSent{Envelope: env})
		add(a, messaging.Waiting{})
	}
	return evs
}

func BenchmarkApply(b *testing.B) {
	evs := benchEvents(500)
	m := NewModel(testPrices)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Apply(evs[i%len(evs)])
		i++
	}
}

func BenchmarkSnapshot500(b *testing.B) {
	m := NewModel(testPrices)
	for _, e := range benchEvents(500) {
		m.Apply(e)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Snapshot()
	}
}

func BenchmarkRenderTree(b *testing.B) {
	m := NewModel(testPrices)
	for _, e := range benchEvents(500) {
		m.Apply(e)
	}
	s := m.Snapshot()
	now := t0.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		rows := TreeRows(s.Agents, "", now)
		_ = HeaderText(s, now)
		if len(rows) != 500 {
			b.Fatal(len(rows))
		}
	}
}

// BenchmarkMeasureLoad runs MeasureLoad with the figures: 500
// agents × 10 events/s, for -load (10s by default). Run it with
// -benchtime=1x.
func BenchmarkMeasureLoad(b *testing.B) {
	for b.Loop() {
		r, err := MeasureLoad(500, 10, *loadDuration)
		if err != nil {
			b.Fatal(err)
		}
		b.Log(r)
		b.ReportMetric(r.CPUShare*100, "cpu%")
		b.ReportMetric(float64(r.MaxRSSBytes)/(1<<20), "maxrss-MiB")
		b.ReportMetric(float64(r.KeyLatencyP50.Microseconds())/1000, "key-p50-ms")
		b.ReportMetric(float64(r.KeyLatencyMax.Microseconds())/1000, "key-max-ms")
		b.ReportMetric(float64(r.Events)/r.Wall.Seconds(), "events/s")
	}
}

// TestMeasureLoadRuns checks that MeasureLoad drives the dashboard and
// reports every figure; its speed is judged in BenchmarkMeasureLoad only.
func TestMeasureLoadRuns(t *testing.T) {
	r, err := MeasureLoad(20, 10, 400*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.Events == 0 || len(r.KeyLatencies) != 20 || r.KeyLatencyP50 <= 0 || r.MaxRSSBytes <= 0 || r.CPUShare <= 0 {
		t.Errorf("incomplete result: %+v", r)
	}
	if _, err := MeasureLoad(0, 1, time.Second); err == nil {
		t.Error("MeasureLoad accepted 0 agents")
	}
}
