package model

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// chatParams builds the Chat Completions body of req.
func (c *client) chatParams(req Request) (openai.ChatCompletionNewParams, error) {
	p := openai.ChatCompletionNewParams{
		Model: shared.ChatModel(c.cfg.Model),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{
			IncludeUsage: openai.Bool(true),
		},
	}
	if req.Instructions != "" {
		p.Messages = append(p.Messages, openai.SystemMessage(req.Instructions))
	}
	for i, it := range req.Input {
		switch it.Role {
		case RoleUser:
			p.Messages = append(p.Messages, openai.UserMessage(it.Text))
		case RoleAssistant:
			var m openai.ChatCompletionAssistantMessageParam
			if it.Text != "" {
				m.Content.OfString = openai.String(it.Text)
			}
			for _, tc := range it.ToolCalls {
				m.ToolCalls = append(m.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
					OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
						ID: tc.ID,
						Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{
							Name: tc.Name, Arguments: tc.Arguments,
						},
					},
				})
			}
			p.Messages = append(p.Messages, openai.ChatCompletionMessageParamUnion{OfAssistant: &m})
		case RoleTool:
			if it.CallID == "" {
				return p, fmt.Errorf("%w: input item %d: tool output without a call id", ErrRequest, i)
			}
			p.Messages = append(p.Messages, openai.ToolMessage(it.Text, it.CallID))
		default:
			return p, fmt.Errorf("%w: input item %d: unknown role %q", ErrRequest, i, it.Role)
		}
	}
	for _, t := range req.Tools {
		params, err := toolParameters(t)
		if err != nil {
			return p, err
		}
		fd := shared.FunctionDefinitionParam{Name: t.Name, Parameters: params}
		if t.Description != "" {
			fd.Description = openai.String(t.Description)
		}
		p.Tools = append(p.Tools, openai.ChatCompletionToolUnionParam{
			OfFunction: &openai.ChatCompletionFunctionToolParam{Function: fd},
		})
	}
	if req.MaxOutputTokens > 0 {
		p.MaxCompletionTokens = openai.Int(int64(req.MaxOutputTokens))
	}
	return p, nil
}

// toolParameters decodes a tool's JSON Schema; nil means an empty object.
func toolParameters(t Tool) (map[string]any, error) {
	if t.Name == "" {
		return nil, fmt.Errorf("%w: a tool has no name", ErrRequest)
	}
	if len(t.Parameters) == 0 {
		return map[string]any{"type": "object", "properties": map[string]any{}}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(t.Parameters, &m); err != nil {
		return nil, fmt.Errorf("%w: tool %q: parameters are not a JSON object: %v", ErrRequest, t.Name, err)
	}
	return m, nil
}

// chatAttempt streams one Chat Completions answer and reads the result from
// the accumulated message once [DONE] was seen.
func (c *client) chatAttempt(ctx context.Context, p openai.ChatCompletionNewParams, opts []option.RequestOption) (result, error) {
	stream := c.chat.NewStreaming(ctx, p, opts...)
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		if !acc.AddChunk(stream.Current()) {
			return result{}, fmt.Errorf("model: chat stream: chunk rejected by the accumulator")
		}
	}
	if err := stream.Err(); err != nil {
		return result{}, fmt.Errorf("model: chat stream: %w", err)
	}
	at := attemptOf(ctx)
	at.mu.Lock()
	done := at.sawDone
	at.mu.Unlock()
	if !done {
		return result{}, ErrStreamCut
	}
	res := result{model: acc.Model}
	if len(acc.Choices) > 0 {
		msg := acc.Choices[0].Message
		res.text = msg.Content
		for _, tc := range msg.ToolCalls {
			res.calls = append(res.calls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
	}
	res.usage = Usage{
		InputTokens:       acc.Usage.PromptTokens,
		CachedInputTokens: acc.Usage.PromptTokensDetails.CachedTokens,
		OutputTokens:      acc.Usage.CompletionTokens,
	}
	return res, nil
}
