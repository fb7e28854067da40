package model

import "strings"

// PricesAsOf dates the default price table.
const PricesAsOf = "2025-08"

// Price is what a model costs in USD per million tokens.
type Price struct{ Input, CachedInput, Output float64 }

// Prices is a price table by model id.
type Prices map[string]Price

// DefaultPrices are OpenAI's list prices as of PricesAsOf for common models.
// A model not listed costs 0 (local servers, the scripted server).
var DefaultPrices = Prices{
	"gpt-5":             {Input: 1.25, CachedInput: 0.125, Output: 10},
	"gpt-5-codex":       {Input: 1.25, CachedInput: 0.125, Output: 10},
	"gpt-5-mini":        {Input: 0.25, CachedInput: 0.025, Output: 2},
	"gpt-5-nano":        {Input: 0.05, CachedInput: 0.005, Output: 0.4},
	"gpt-4.1":           {Input: 2, CachedInput: 0.5, Output: 8},
	"gpt-4.1-mini":      {Input: 0.4, CachedInput: 0.1, Output: 1.6},
	"gpt-4o":            {Input: 2.5, CachedInput: 1.25, Output: 10},
	"gpt-4o-mini":       {Input: 0.15, CachedInput: 0.075, Output: 0.6},
	"o3":                {Input: 2, CachedInput: 0.5, Output: 8},
	"o4-mini":           {Input: 1.1, CachedInput: 0.275, Output: 4.4},
	"codex-mini-latest": {Input: 1.5, CachedInput: 0.375, Output: 6},
}

// Cost is the USD cost of one turn's tokens on model. Cached input tokens
// are part of input and billed at the cached price. A dated snapshot name
// ("gpt-4.1-2025-04-14") is priced as its base model.
func Cost(model string, input, cachedInput, output int64) float64 {
	return DefaultPrices.Cost(model, input, cachedInput, output)
}

// With returns a copy of t in which the prices of over replace or add to
// t's (a user's configured prices over the defaults).
func (t Prices) With(over map[string]Price) Prices {
	out := make(Prices, len(t)+len(over))
	for k, v := range t {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// Cost is [Cost] with t as the price table.
func (t Prices) Cost(model string, input, cachedInput, output int64) float64 {
	p, ok := t[model]
	for !ok {
		i := strings.LastIndexByte(model, '-')
		if i < 0 {
			return 0
		}
		model = model[:i]
		p, ok = t[model]
	}
	uncached := input - cachedInput
	if uncached < 0 {
		uncached = 0
	}
	return (float64(uncached)*p.Input + float64(cachedInput)*p.CachedInput + float64(output)*p.Output) / 1e6
}
