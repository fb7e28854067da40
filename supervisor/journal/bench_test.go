package journal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor/journal"
)

const benchWriters = 64

func benchAppend(b *testing.B, group bool) {
	dir := b.TempDir()
	b.ResetTimer()
	perSecond, err := journal.MeasureAppend(dir, max(b.N, benchWriters), benchWriters, group)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(perSecond, "events/s")
}

// BenchmarkAppendGroupCommit: 64 goroutines, one event per Append.
func BenchmarkAppendGroupCommit(b *testing.B) { benchAppend(b, true) }

// BenchmarkAppendPerEventFsync is the reference: the same load with one
// transaction (and fsync) per event.
func BenchmarkAppendPerEventFsync(b *testing.B) { benchAppend(b, false) }

// BenchmarkReplay100x500 reads back 100 agents × 500 events through
// AgentEvents, as a resume of a large run does.
func BenchmarkReplay100x500(b *testing.B) {
	db := openTest(b, journal.Options{})
	const agents, each = 100, 500
	addrs := make([]messaging.Address, agents)
	for a := range addrs {
		addrs[a] = messaging.MustParseAddress(fmt.Sprintf("/root/agent_%d", a))
	}
	batch := make([]messaging.Event, 0, agents)
	for i := range each {
		batch = batch[:0]
		for _, a := range addrs {
			batch = append(batch, messaging.NewEvent(runA, a, 1, at(i), messaging.ToolResult{CallID: "c", Name: "shell", Output: "ok\n"}))
		}
		if _, err := db.Append(context.Background(), batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		n := 0
		for _, a := range addrs {
			if err := db.AgentEvents(runA, a, 0, func(messaging.Event) error { n++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
		if n != agents*each {
			b.Fatalf("replayed %d events, want %d", n, agents*each)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/replay")
}
