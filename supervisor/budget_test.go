package supervisor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
)

// teamModel plays a small team: /root spawns coder_a and coder_b, waits for
// both and finishes; coder_a runs shell twice before it reports; coder_b
// reports at once. Every turn costs 1000 input and 100 output tokens.
type teamModel struct{}

func (teamModel) Turn(ctx context.Context, req model.Request) (model.Turn, error) {
	turns, tools := 0, 0
	for _, it := range req.Input {
		switch it.Role {
		case model.RoleAssistant:
			turns++
		case model.RoleTool:
			tools++
		}
	}
	call := func(name, args string) model.Turn {
		return model.Turn{ToolCalls: []model.ToolCall{{ID: fmt.Sprintf("%s-%d", name, turns), Name: name, Arguments: args}}}
	}
	var t model.Turn
	switch req.Agent {
	case "/root":
		switch turns {
		case 0:
			t = model.Turn{ToolCalls: []model.ToolCall{
				{ID: "s1", Name: "spawn_agent", Arguments: `{"role":"coder","name":"coder_a","task":"a"}`},
				{ID: "s2", Name: "spawn_agent", Arguments: `{"role":"coder","name":"coder_b","task":"b"}`},
			}}
		case 1:
			t = call("wait", `{"count":2}`)
		default:
			t = model.Turn{Text: "all done"}
		}
	case "/root/coder_a":
		if tools < 2 {
			t = call("shell", `{"command":["true"]}`)
		} else {
			t = model.Turn{Text: "a done"}
		}
	default:
		t = model.Turn{Text: "b done"}
	}
	t.Usage = model.Usage{InputTokens: 1000, OutputTokens: 100}
	t.Started, t.Finished = time.Now(), time.Now()
	return t, nil
}

type okRunner struct{}

func (okRunner) Run(context.Context, sandbox.Command) (sandbox.Result, error) {
	return sandbox.Result{Output: []byte("ok\n")}, nil
}
func (okRunner) Close() error { return nil }

// startTeam starts teamModel's run with budgets and follows its journal.
func startTeam(t *testing.T, budgets map[messaging.Address]messaging.Budget) (*Supervisor, *Run, <-chan messaging.Event) {
	t.Helper()
	sup, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sup.Close() })
	r, err := sup.Start(context.Background(), RunSpec{
		Repo: testRepo(t), Task: "t", Model: model.Config{Model: "gpt-5"}, Budgets: budgets,
		NewModel:  func(model.Config) (model.Client, error) { return teamModel{}, nil },
		NewRunner: func(sandbox.Policy) (sandbox.Runner, error) { return okRunner{}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	sub := sup.Subscribe(r.ID, 0)
	t.Cleanup(sub.Close)
	return sup, r, sub.C
}

// until reads events until one satisfies ok, and returns it.
func until(t *testing.T, evs <-chan messaging.Event, what string, ok func(messaging.Event) bool) messaging.Event {
	t.Helper()
	for ev := range evs {
		if ok(ev) {
			return ev
		}
	}
	t.Fatalf("the journal ended before %s", what)
	return messaging.Event{}
}

func TestExhaustedSubtreePausesAndTheRestGoesOn(t *testing.T) {
	coderA := messaging.MustParseAddress("/root/coder_a")
	_, r, evs := startTeam(t, map[messaging.Address]messaging.Budget{coderA: {Turns: 2}})
	var sawB bool
	ex := until(t, evs, "coder_a's budget is spent", func(ev messaging.Event) bool {
		if ev.Type == messaging.EvMessageSent && ev.Agent.String() == "/root/coder_b" {
			sawB = true
		}
		return ev.Type == messaging.EvBudgetExhausted
	})
	var p messaging.BudgetExhausted
	if err := ex.Decode(&p); err != nil || ex.Agent != coderA || p.Spent != "turns 2 of 2" {
		t.Fatalf("budget_exhausted = %+v %+v, %v", ex, p, err)
	}
	// coder_a pauses; coder_b (outside the subtree) still reports.
	until(t, evs, "coder_a pauses", func(ev messaging.Event) bool {
		if ev.Type == messaging.EvMessageSent && ev.Agent.String() == "/root/coder_b" {
			sawB = true
		}
		return ev.Type == messaging.EvAgentPaused && ev.Agent == coderA && strings.Contains(string(ev.Data), "cadre budget "+r.ID+" /root/coder_a")
	})
	if !sawB {
		until(t, evs, "coder_b reports while coder_a is paused", func(ev messaging.Event) bool {
			return ev.Type == messaging.EvMessageSent && ev.Agent.String() == "/root/coder_b"
		})
	}
	select {
	case <-r.Done():
		t.Fatalf("the run ended while coder_a was paused: %+v", r.Wait())
	default:
	}
	if err := r.Control(context.Background(), messaging.Control{Action: messaging.ActionBudget, Target: coderA, Raise: &messaging.Budget{Turns: 1}, By: "test"}); err != nil {
		t.Fatal(err)
	}
	until(t, evs, "coder_a resumes", func(ev messaging.Event) bool {
		return ev.Type == messaging.EvAgentResumed && ev.Agent == coderA
	})
	out := r.Wait()
	if out.Status != messaging.StatusSucceeded || out.Summary != "all done" {
		t.Fatalf("outcome %+v", out)
	}
	r.mu.Lock()
	s, n := r.subtreeSpend(coderA)
	all, total := r.subtreeSpend(messaging.Root)
	r.mu.Unlock()
	if s.turns != 3 || n != 1 || s.usage.Input != 3000 || s.usage.Output != 300 {
		t.Errorf("coder_a spent %+v over %d agents, want 3 turns, 3000 in, 300 out", s, n)
	}
	// Priced from the default table (gpt-5: $1.25 in, $10 out per 1M).
	if want := 3 * (1000*1.25 + 100*10) / 1e6; s.cost < want-1e-12 || s.cost > want+1e-12 {
		t.Errorf("coder_a cost $%v, want $%v", s.cost, want)
	}
	if total != 3 || all.turns != 3+1+3 {
		t.Errorf("the run's subtree: %d agents, %d turns; want 3 agents, 7 turns", total, all.turns)
	}
}

func TestExhaustedRootStopsTheRunAndARaiseResumesIt(t *testing.T) {
	sup, r, evs := startTeam(t, map[messaging.Address]messaging.Budget{messaging.Root: {Tokens: 3000}})
	until(t, evs, "the run is suspended", func(ev messaging.Event) bool { return ev.Type == messaging.EvRunSuspended })
	out := r.Wait()
	if out.Status != StatusInterrupted || out.Err == nil || !strings.Contains(out.Err.Error(), "budget of /root is spent (tokens") {
		t.Fatalf("outcome %+v", out)
	}
	if got, err := sup.Journal().Run(r.ID); err != nil || got.Status != StatusInterrupted {
		t.Fatalf("journal status %+v, %v", got, err)
	}
	// Raised while nobody runs it: journaled, applied on resume.
	if err := sup.Control(context.Background(), r.ID, messaging.Control{Action: messaging.ActionBudget, Target: messaging.Root, Raise: &messaging.Budget{Tokens: 100000}, By: "test"}); err != nil {
		t.Fatal(err)
	}
	r2, err := sup.Resume(context.Background(), r.ID, RunSpec{Model: model.Config{Model: "gpt-5"},
		NewModel:  func(model.Config) (model.Client, error) { return teamModel{}, nil },
		NewRunner: func(sandbox.Policy) (sandbox.Runner, error) { return okRunner{}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if out := r2.Wait(); out.Status != messaging.StatusSucceeded {
		t.Fatalf("resumed outcome %+v", out)
	}
	var sets []string
	_ = sup.Journal().AgentEvents(r.ID, messaging.Root, 0, func(ev messaging.Event) error {
		if ev.Type == messaging.EvBudgetSet {
			sets = append(sets, string(ev.Data))
		}
		return nil
	})
	if len(sets) != 2 || !strings.Contains(sets[1], `"tokens":103000`) {
		t.Errorf("budget_set events of /root: %v", sets)
	}
}

func TestLiveSince(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	b := budgets{sessions: [][2]time.Time{{t0, t0.Add(10 * time.Minute)}, {t0.Add(time.Hour), t0.Add(time.Hour + 5*time.Minute)}}, sessionStart: t0.Add(2 * time.Hour)}
	var mu sync.Mutex
	mu.Lock()
	defer mu.Unlock()
	for _, tt := range []struct {
		since time.Time
		want  time.Duration
	}{
		{t0, 10*time.Minute + 5*time.Minute + 3*time.Minute},
		{t0.Add(5 * time.Minute), 5*time.Minute + 5*time.Minute + 3*time.Minute},
		{t0.Add(2*time.Hour + time.Minute), 2 * time.Minute},
	} {
		if got := b.liveSince(tt.since, t0.Add(2*time.Hour+3*time.Minute)); got != tt.want {
			t.Errorf("liveSince(%s) = %s, want %s", tt.since.Format("15:04"), got, tt.want)
		}
	}
}
