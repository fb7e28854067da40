package messaging

import (
	"errors"
	"testing"
	"time"
)

func TestParseBudgetAmount(t *testing.T) {
	tests := []struct {
		in   string
		want Budget
	}{
		{"+$2.50", Budget{CostUSD: 2.5}},
		{"$1", Budget{CostUSD: 1}},
		{"3usd", Budget{CostUSD: 3}},
		{"+50000", Budget{Tokens: 50000}},
		{"50k", Budget{Tokens: 50000}},
		{"+1.5M", Budget{Tokens: 1500000}},
		{"20ktokens", Budget{Tokens: 20000}},
		{"+10turns", Budget{Turns: 10}},
		{"1turn", Budget{Turns: 1}},
		{"+30m", Budget{WallTime: MillisOf(30 * time.Minute)}},
		{"1h30m", Budget{WallTime: MillisOf(90 * time.Minute)}},
	}
	for _, tt := range tests {
		got, err := ParseBudgetAmount(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseBudgetAmount(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "+", "$", "$-1", "-5", "0", "0turns", "xturns", "lots", "-30m", "5 parsecs"} {
		if _, err := ParseBudgetAmount(bad); !errors.Is(err, ErrBadAmount) {
			t.Errorf("ParseBudgetAmount(%q) = %v, want ErrBadAmount", bad, err)
		}
	}
}

func TestBudgetAddAndString(t *testing.T) {
	b := Budget{Tokens: 1000}.Add(Budget{CostUSD: 2, Turns: 3}).Add(Budget{Tokens: 500, WallTime: MillisOf(time.Minute)})
	if want := (Budget{Tokens: 1500, CostUSD: 2, Turns: 3, WallTime: 60000}); b != want {
		t.Fatalf("Add = %+v, want %+v", b, want)
	}
	if got, want := b.String(), "tokens 1500, $2.00, 1m0s, 3 turns"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if (Budget{}).String() != "unbounded" || !(Budget{}).IsZero() {
		t.Error("the zero budget is not unbounded")
	}
}

func TestBudgetEventsGolden(t *testing.T) {
	at := mustTime("2026-11-23T07:00:00Z")
	coder := MustParseAddress("/root/coder_a")
	for _, p := range []Payload{
		BudgetSet{Budget: Budget{Tokens: 50000, CostUSD: 1.5, WallTime: 1800000, Turns: 40}, By: "config"},
		BudgetExhausted{Budget: Budget{Tokens: 10000}, Spent: "tokens 10230 of 10000"},
	} {
		golden(t, "event_"+string(p.EventType()), NewEvent("r-20261123-ab12", coder, 1, at, p))
	}
	c := Control{Action: ActionBudget, Target: coder, By: "cli", Raise: &Budget{Tokens: 5000}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Control{{Action: ActionBudget, Target: coder}, {Action: ActionBudget, Raise: &Budget{Turns: 1}}, {Action: ActionBudget, Target: coder, Raise: &Budget{}}} {
		if err := bad.Validate(); !errors.Is(err, ErrBadControl) {
			t.Errorf("Validate(%+v) = %v, want ErrBadControl", bad, err)
		}
	}
}
