package actors

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
)

// Context compaction. Before a turn, when the last turn's input reached the
// agent's limit (Config.AutoCompactTokens, by default 80% of
// Config.ContextWindow), the agent asks its model, in one extra request
// (Purpose "compact"), for a summary of the older part of its
// conversation, and replaces that part with one user item:
//
//	[cadre: 12 earlier turns compacted]
//	Summary of the conversation before this point:
//	<summary>
//
// The most recent turns stay verbatim: the last keepTurns assistant items
// with everything after them, so no tool call is parted from its result.
// The replacement is journaled as messaging.Compacted before it counts, and
// Restore applies it at the same point. The header's count (every
// assistant turn compacted away so far) lets a server that picks its answer
// from the number of assistant turns, like the scripted one, keep counting.
//
// The summary request repeats the agent's instructions, tools and older
// items as they were sent before, so a provider's prompt cache serves most
// of it. If it fails, the agent records a warning and goes on uncompacted;
// it tries again after its next turn.

// keepTurns is how many of the most recent assistant turns stay verbatim.
const keepTurns = 4

// compactInstruction is the last user item of a summary request.
const compactInstruction = `Summarize the conversation above: the summary replaces it, and you will go on from it and the turns after it. Keep what you need later: the task and who gave it, decisions and why, files read and changed, commands run and their results, messages sent and awaited, open questions, unfinished work and pending tool calls. Be brief. Answer with the summary only; call no tool.`

// compactedHeaderFormat starts the item that replaces compacted items; the
// scripted model server parses the count back (keep them in step).
const compactedHeaderFormat = "[cadre: %d earlier turns compacted]\nSummary of the conversation before this point:\n"

// compactLimit is the input size in tokens at which the agent compacts, 0
// for never.
func (c Config) compactLimit() int64 {
	switch {
	case c.AutoCompactTokens < 0:
		return 0
	case c.AutoCompactTokens > 0:
		return int64(c.AutoCompactTokens)
	case c.ContextWindow > 0:
		return int64(c.ContextWindow) * 8 / 10
	}
	return 0
}

// EstimateTokens estimates the tokens a model reads for b: one per 4 bytes,
// rounded up. OpenAI's tokenizers average about 4 bytes per token on
// English prose and somewhat fewer on code and JSON, so this is a rough
// figure for sizing prompts and for providers that report no usage, not a
// count; the scripted model server reports usage the same way.
func EstimateTokens(b []byte) int { return (len(b) + 3) / 4 }

// estimateInput is EstimateTokens of what the next request carries: the
// instructions, the tool schemas and every item's text.
func (a *Agent) estimateInput() int64 {
	n := len(a.instr)
	for _, t := range a.specs {
		n += len(t.Name) + len(t.Description) + len(t.Parameters)
	}
	for _, it := range a.conv {
		n += itemBytes(it)
	}
	return int64((n + 3) / 4)
}

func itemBytes(it model.Item) int {
	n := len(it.Text) + len(it.CallID)
	for _, c := range it.ToolCalls {
		n += len(c.ID) + len(c.Name) + len(c.Arguments)
	}
	return n
}

// compactSplit returns how many leading items of the conversation to
// compact: those before the last keepTurns assistant items and the user
// items just before them, fewer recent turns kept when they alone weigh
// more than half the limit (at least one is kept). It returns 0 when the
// older part holds no assistant turn.
func (a *Agent) compactSplit(limit int64) int {
	split, kept, keptBytes := len(a.conv), 0, 0
	for i := len(a.conv) - 1; i >= 0 && kept < keepTurns; i-- {
		keptBytes += itemBytes(a.conv[i])
		if a.conv[i].Role != model.RoleAssistant {
			continue
		}
		if kept > 0 && int64(keptBytes/4) > limit/2 {
			break
		}
		split, kept = i, kept+1
	}
	for split > 0 && a.conv[split-1].Role == model.RoleUser {
		split-- // a message stays with the turn that answers it
	}
	for _, it := range a.conv[:split] {
		if it.Role == model.RoleAssistant {
			return split
		}
	}
	return 0
}

// maybeCompact compacts the conversation if the last turn reached the
// limit. Only a journal failure or the end of ctx is an error.
func (a *Agent) maybeCompact(ctx context.Context) error {
	limit := a.cfg.compactLimit()
	if limit == 0 || !a.turnSeen {
		return nil
	}
	tokens := max(a.lastInput, a.estimateInput())
	if tokens < limit {
		return nil
	}
	split := a.compactSplit(limit)
	if split == 0 {
		return nil
	}
	c, err := a.summarize(ctx, split)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("compact before turn %d: %w", a.turns, context.Cause(ctx))
		}
		a.turnSeen = false // try again after the next turn, not before it
		w := messaging.Warning{Text: fmt.Sprintf("%s: compacting the conversation before turn %d failed, going on uncompacted: %v", a.cfg.Address, a.turns, err)}
		return a.cfg.Host.Record(ctx, w)
	}
	c.InputTokens = tokens
	if err := a.cfg.Host.Record(ctx, c); err != nil {
		return err
	}
	return a.applyCompacted(c)
}

// summarize asks the model for a summary of the first split items.
func (a *Agent) summarize(ctx context.Context, split int) (messaging.Compacted, error) {
	req := a.request()
	req.Purpose = model.PurposeCompact
	req.Input = append(append(make([]model.Item, 0, split+1), a.conv[:split]...),
		model.Item{Role: model.RoleUser, Text: compactInstruction})
	release, err := a.cfg.Host.Acquire(ctx)
	if err != nil {
		return messaging.Compacted{}, err
	}
	t, err := a.cfg.Model.Turn(ctx, req)
	release()
	if err != nil {
		return messaging.Compacted{}, err
	}
	summary := strings.TrimSpace(t.Text)
	if summary == "" {
		return messaging.Compacted{}, errors.New("the model answered without a summary")
	}
	turns := a.compacted
	for _, it := range a.conv[:split] {
		if it.Role == model.RoleAssistant {
			turns++
		}
	}
	name := t.Model
	if name == "" {
		name = a.cfg.ModelName
	}
	return messaging.Compacted{
		Turn: a.turns, Items: split, Turns: turns, Summary: summary, Model: t.Model,
		Usage:   messaging.Usage{Input: t.Usage.InputTokens, CachedInput: t.Usage.CachedInputTokens, Output: t.Usage.OutputTokens},
		CostUSD: model.Cost(name, t.Usage.InputTokens, t.Usage.CachedInputTokens, t.Usage.OutputTokens),
	}, nil
}

// applyCompacted replaces the first c.Items items with the summary item.
func (a *Agent) applyCompacted(c messaging.Compacted) error {
	if c.Items < 1 || c.Items > len(a.conv) {
		return fmt.Errorf("compacted event replaces %d items of a conversation of %d", c.Items, len(a.conv))
	}
	conv := make([]model.Item, 0, len(a.conv)-c.Items+1)
	conv = append(conv, model.Item{Role: model.RoleUser, Text: fmt.Sprintf(compactedHeaderFormat, c.Turns) + c.Summary})
	a.conv = append(conv, a.conv[c.Items:]...)
	a.compacted = c.Turns
	a.lastInput, a.turnSeen = 0, false
	return nil
}
