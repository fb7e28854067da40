package model

import (
	"context"
	"fmt"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// responsesParams builds the Responses body of req. Nothing is stored on the
// provider: the whole conversation is sent every turn.
func (c *client) responsesParams(req Request) (responses.ResponseNewParams, error) {
	p := responses.ResponseNewParams{
		Model: shared.ResponsesModel(c.cfg.Model),
		Store: openai.Bool(false),
	}
	if req.Instructions != "" {
		p.Instructions = openai.String(req.Instructions)
	}
	items := responses.ResponseInputParam{}
	for i, it := range req.Input {
		switch it.Role {
		case RoleUser:
			items = append(items, responses.ResponseInputItemParamOfMessage(it.Text, responses.EasyInputMessageRoleUser))
		case RoleAssistant:
			if it.Text != "" {
				items = append(items, responses.ResponseInputItemParamOfMessage(it.Text, responses.EasyInputMessageRoleAssistant))
			}
			for _, tc := range it.ToolCalls {
				items = append(items, responses.ResponseInputItemParamOfFunctionCall(tc.Arguments, tc.ID, tc.Name))
			}
		case RoleTool:
			if it.CallID == "" {
				return p, fmt.Errorf("%w: input item %d: tool output without a call id", ErrRequest, i)
			}
			out := responses.ResponseInputItemParamOfFunctionCallOutput(it.Text)
			out.OfFunctionCallOutput.CallID = openai.String(it.CallID)
			items = append(items, out)
		default:
			return p, fmt.Errorf("%w: input item %d: unknown role %q", ErrRequest, i, it.Role)
		}
	}
	p.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: items}
	for _, t := range req.Tools {
		params, err := toolParameters(t)
		if err != nil {
			return p, err
		}
		ft := &responses.FunctionToolParam{Name: t.Name, Parameters: params, Strict: openai.Bool(false)}
		if t.Description != "" {
			ft.Description = openai.String(t.Description)
		}
		p.Tools = append(p.Tools, responses.ToolUnionParam{OfFunction: ft})
	}
	if req.MaxOutputTokens > 0 {
		p.MaxOutputTokens = openai.Int(int64(req.MaxOutputTokens))
	}
	return p, nil
}

// responsesAttempt streams one Responses answer and reads the result from the
// response carried by the terminal response.completed event.
func (c *client) responsesAttempt(ctx context.Context, p responses.ResponseNewParams, opts []option.RequestOption) (result, error) {
	stream := c.responses.NewStreaming(ctx, p, opts...)
	defer stream.Close()
	var final *responses.Response
	var failed *ProviderError
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "response.completed", "response.incomplete":
			r := ev.Response
			final = &r
		case "response.failed":
			msg := ev.Response.Error.Message
			if msg == "" {
				msg = "response failed"
			}
			failed = &ProviderError{Message: msg}
		}
	}
	if err := stream.Err(); err != nil {
		return result{}, fmt.Errorf("model: responses stream: %w", err)
	}
	if failed != nil {
		return result{}, failed
	}
	if final == nil {
		return result{}, ErrStreamCut
	}
	res := result{model: final.Model}
	for _, out := range final.Output {
		switch out.Type {
		case "message":
			for _, part := range out.AsMessage().Content {
				if part.Type == "output_text" {
					res.text += part.Text
				}
			}
		case "function_call":
			fc := out.AsFunctionCall()
			res.calls = append(res.calls, ToolCall{ID: fc.CallID, Name: fc.Name, Arguments: fc.Arguments})
		}
	}
	res.usage = Usage{
		InputTokens:       final.Usage.InputTokens,
		CachedInputTokens: final.Usage.InputTokensDetails.CachedTokens,
		OutputTokens:      final.Usage.OutputTokens,
	}
	return res, nil
}
