package messaging

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Budget bounds what an address's subtree (the agent and every agent under
// it) may spend. A zero field is unbounded. Tokens counts input (cached
// included) plus output tokens of every model turn.
type Budget struct {
	Tokens   int64   `json:"tokens,omitempty"`
	CostUSD  float64 `json:"cost_usd,omitempty"`
	WallTime Millis  `json:"wall_time_ms,omitempty"`
	Turns    int     `json:"turns,omitempty"`
}

// Millis is a duration journaled as whole milliseconds.
type Millis int64

// Duration converts m.
func (m Millis) Duration() time.Duration { return time.Duration(m) * time.Millisecond }

// MillisOf converts d, rounding down to the millisecond.
func MillisOf(d time.Duration) Millis { return Millis(d / time.Millisecond) }

// IsZero reports whether b bounds nothing.
func (b Budget) IsZero() bool { return b == Budget{} }

// Add returns b raised by d, field by field.
func (b Budget) Add(d Budget) Budget {
	return Budget{Tokens: b.Tokens + d.Tokens, CostUSD: b.CostUSD + d.CostUSD, WallTime: b.WallTime + d.WallTime, Turns: b.Turns + d.Turns}
}

// String is a short human form: "tokens 50000, $2.00, 30m0s, 40 turns".
func (b Budget) String() string {
	var parts []string
	if b.Tokens > 0 {
		parts = append(parts, fmt.Sprintf("tokens %d", b.Tokens))
	}
	if b.CostUSD > 0 {
		parts = append(parts, fmt.Sprintf("$%.2f", b.CostUSD))
	}
	if b.WallTime > 0 {
		parts = append(parts, b.WallTime.Duration().String())
	}
	if b.Turns > 0 {
		parts = append(parts, fmt.Sprintf("%d turns", b.Turns))
	}
	if len(parts) == 0 {
		return "unbounded"
	}
	return strings.Join(parts, ", ")
}

// ErrBadAmount is wrapped by ParseBudgetAmount's errors.
var ErrBadAmount = errors.New("bad budget amount")

// ParseBudgetAmount reads one amount of `cadre budget`, with or without a
// leading "+": "$2.50" or "2.5usd" (cost), "50000", "50k" or "50ktokens"
// (tokens), "10turns" (turns), or a Go duration such as "30m" or "1h30m"
// (wall time).
func ParseBudgetAmount(s string) (Budget, error) {
	in := s
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	bad := func(why string) (Budget, error) {
		return Budget{}, fmt.Errorf(`%w %q: %s (examples: "$2", "50k", "10turns", "30m")`, ErrBadAmount, in, why)
	}
	positive := func(v float64) bool { return v > 0 }
	switch {
	case s == "":
		return bad("empty")
	case strings.HasPrefix(s, "$") || strings.HasSuffix(strings.ToLower(s), "usd"):
		num := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(s, "$"), "usd"), "USD")
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || !positive(v) {
			return bad("a cost needs a positive number of dollars")
		}
		return Budget{CostUSD: v}, nil
	case strings.HasSuffix(s, "turns") || strings.HasSuffix(s, "turn"):
		num := strings.TrimSuffix(strings.TrimSuffix(s, "s"), "turn")
		v, err := strconv.Atoi(strings.TrimSpace(num))
		if err != nil || v <= 0 {
			return bad("turns need a positive whole number")
		}
		return Budget{Turns: v}, nil
	}
	tok := strings.TrimSuffix(strings.TrimSuffix(s, "tokens"), "tok")
	mult := 1.0
	switch {
	case strings.HasSuffix(tok, "k"):
		mult, tok = 1e3, strings.TrimSuffix(tok, "k")
	case strings.HasSuffix(tok, "M"):
		mult, tok = 1e6, strings.TrimSuffix(tok, "M")
	}
	if v, err := strconv.ParseFloat(tok, 64); err == nil {
		if n := int64(v * mult); n > 0 {
			return Budget{Tokens: n}, nil
		}
		return bad("tokens need a positive number")
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return bad("a wall time must be positive")
		}
		return Budget{WallTime: MillisOf(d)}, nil
	}
	return bad("not a cost, a token count, a turn count or a duration")
}

// Budget event types.
const (
	EvBudgetSet       EventType = "budget_set"
	EvBudgetExhausted EventType = "budget_exhausted"
)

// BudgetSet gives the agent's subtree a budget (its whole new value). Its
// event's Agent is the budgeted address.
type BudgetSet struct {
	Budget Budget `json:"budget"`
	By     string `json:"by"` // "config", "cli", "dashboard", ...
}

// BudgetExhausted: the subtree at the event's Agent spent its budget and
// starts no new turn or command until the budget is raised. Spent says what
// ran out, e.g. "tokens 10230 of 10000".
type BudgetExhausted struct {
	Budget Budget `json:"budget"`
	Spent  string `json:"spent"`
}

func (BudgetSet) EventType() EventType       { return EvBudgetSet }
func (BudgetExhausted) EventType() EventType { return EvBudgetExhausted }
