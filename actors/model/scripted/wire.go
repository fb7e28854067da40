package scripted

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"unicode/utf8"
)

// answer is one turn about to be played, with everything the wire formats
// need.
type answer struct {
	id       string
	model    string
	created  int64
	turn     Turn
	stopOnTC bool
	usage    usage
	cut      bool
}

func (a answer) modelID() string {
	if a.model == "" {
		return ModelID
	}
	return a.model
}

func (a answer) callID(i int) string { return fmt.Sprintf("call_%s_%d", a.id, i) }

// answerID is deterministic per (agent, turn) so that goldens are stable and
// a retried request gets the same ids.
func answerID(agent string, turn int) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(agent))
	return fmt.Sprintf("%08x_%d", h.Sum32(), turn)
}

// split cuts s into pieces of at most a quarter of its length (at least one
// byte, at most 24), on rune boundaries, so clients must accumulate.
func split(s string) []string {
	if s == "" {
		return nil
	}
	size := min(max((len(s)+3)/4, 1), 24)
	var out []string
	for len(s) > 0 {
		n := min(size, len(s))
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n++
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("scripted: marshal %T: %v", v, err))
	}
	return b
}

// ---- errors and models ----

type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func errorBody(typ, msg string) apiError {
	return apiError{Error: apiErrorBody{Message: msg, Type: typ}}
}

// contextLengthError is how OpenAI refuses a request longer than the
// model's context window.
func contextLengthError(window, tokens int) apiError {
	code := "context_length_exceeded"
	e := errorBody("invalid_request_error", fmt.Sprintf("scripted server: this model's maximum context length is %d tokens, but the request has about %d (request bytes/4)", window, tokens))
	e.Error.Code = &code
	return e
}

type modelList struct {
	Object string      `json:"object"`
	Data   []modelInfo `json:"data"`
}

type modelInfo struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func modelsBody() modelList {
	return modelList{Object: "list", Data: []modelInfo{{ID: ModelID, Object: "model", Created: 0, OwnedBy: "cadre"}}}
}

// ---- chat completions ----

type chatUsage struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func (a answer) chatUsage() *chatUsage {
	u := &chatUsage{PromptTokens: a.usage.input, CompletionTokens: a.usage.output, TotalTokens: a.usage.input + a.usage.output}
	u.PromptTokensDetails.CachedTokens = a.usage.cached
	return u
}

type chatFunction struct {
	Name      string  `json:"name,omitempty"`
	Arguments *string `json:"arguments,omitempty"`
}

type chatToolCall struct {
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function chatFunction `json:"function"`
}

type chatMessage struct {
	Role      string         `json:"role,omitempty"`
	Content   *string        `json:"content,omitempty"`
	ToolCalls []chatToolCall `json:"tool_calls,omitempty"`
}

type chatChoice struct {
	Index        int          `json:"index"`
	Message      *chatMessage `json:"message,omitempty"`
	Delta        *chatMessage `json:"delta,omitempty"`
	FinishReason *string      `json:"finish_reason"`
}

type chatObject struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *chatUsage   `json:"usage,omitempty"`
}

func (a answer) finishReason() string {
	if len(a.turn.ToolCalls) > 0 && !a.stopOnTC {
		return "tool_calls"
	}
	return "stop"
}

func chatCompletion(a answer) chatObject {
	msg := &chatMessage{Role: "assistant"}
	if text := a.turn.Text; text != "" || len(a.turn.ToolCalls) == 0 {
		msg.Content = &text
	}
	for i, c := range a.turn.ToolCalls {
		args := c.ArgumentsText()
		msg.ToolCalls = append(msg.ToolCalls, chatToolCall{
			ID: a.callID(i), Type: "function", Function: chatFunction{Name: c.Name, Arguments: &args},
		})
	}
	fr := a.finishReason()
	return chatObject{
		ID: "chatcmpl-" + a.id, Object: "chat.completion", Created: a.created, Model: a.modelID(),
		Choices: []chatChoice{{Index: 0, Message: msg, FinishReason: &fr}},
		Usage:   a.chatUsage(),
	}
}

// chatStream is the SSE event list of a streamed chat completion: a role
// chunk, text pieces, per tool call a head chunk and argument pieces, the
// finish chunk, the usage chunk (when asked for) and [DONE].
func chatStream(a answer, includeUsage bool) []sseEvent {
	chunk := func(delta *chatMessage, finish *string) sseEvent {
		return sseEvent{data: mustJSON(chatObject{
			ID: "chatcmpl-" + a.id, Object: "chat.completion.chunk", Created: a.created, Model: a.modelID(),
			Choices: []chatChoice{{Index: 0, Delta: delta, FinishReason: finish}},
		})}
	}
	empty := ""
	evs := []sseEvent{chunk(&chatMessage{Role: "assistant", Content: &empty}, nil)}
	for _, piece := range split(a.turn.Text) {
		evs = append(evs, chunk(&chatMessage{Content: &piece}, nil))
	}
	for i, c := range a.turn.ToolCalls {
		idx := i
		none := ""
		evs = append(evs, chunk(&chatMessage{ToolCalls: []chatToolCall{{
			Index: &idx, ID: a.callID(i), Type: "function", Function: chatFunction{Name: c.Name, Arguments: &none},
		}}}, nil))
		for _, piece := range split(c.ArgumentsText()) {
			evs = append(evs, chunk(&chatMessage{ToolCalls: []chatToolCall{{
				Index: &idx, Function: chatFunction{Arguments: &piece},
			}}}, nil))
		}
	}
	fr := a.finishReason()
	evs = append(evs, chunk(&chatMessage{}, &fr))
	if includeUsage {
		evs = append(evs, sseEvent{data: mustJSON(chatObject{
			ID: "chatcmpl-" + a.id, Object: "chat.completion.chunk", Created: a.created, Model: a.modelID(),
			Choices: []chatChoice{}, Usage: a.chatUsage(),
		})})
	}
	return append(evs, sseEvent{data: []byte("[DONE]")})
}

// ---- responses ----

type respUsage struct {
	InputTokens        int64 `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int64 `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int64 `json:"total_tokens"`
}

type respContent struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Annotations []any  `json:"annotations"`
}

type respItem struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Status    string         `json:"status"`
	Role      string         `json:"role,omitempty"`
	Content   *[]respContent `json:"content,omitempty"`
	CallID    string         `json:"call_id,omitempty"`
	Name      string         `json:"name,omitempty"`
	Arguments *string        `json:"arguments,omitempty"`
}

type respObject struct {
	ID                string     `json:"id"`
	Object            string     `json:"object"`
	CreatedAt         int64      `json:"created_at"`
	Status            string     `json:"status"`
	Model             string     `json:"model"`
	Output            []respItem `json:"output"`
	ParallelToolCalls bool       `json:"parallel_tool_calls"`
	ToolChoice        string     `json:"tool_choice"`
	Tools             []any      `json:"tools"`
	Usage             *respUsage `json:"usage,omitempty"`
	Error             any        `json:"error"`
}

type respEvent struct {
	Type           string       `json:"type"`
	SequenceNumber int          `json:"sequence_number"`
	Response       *respObject  `json:"response,omitempty"`
	OutputIndex    *int         `json:"output_index,omitempty"`
	ItemID         string       `json:"item_id,omitempty"`
	ContentIndex   *int         `json:"content_index,omitempty"`
	Item           *respItem    `json:"item,omitempty"`
	Part           *respContent `json:"part,omitempty"`
	Delta          *string      `json:"delta,omitempty"`
	Text           *string      `json:"text,omitempty"`
	Arguments      *string      `json:"arguments,omitempty"`
}

// items returns the completed output items of the answer: the message (if
// any text) first, then one function_call per tool call.
func (a answer) items() []respItem {
	var out []respItem
	if a.turn.Text != "" {
		content := []respContent{{Type: "output_text", Text: a.turn.Text, Annotations: []any{}}}
		out = append(out, respItem{ID: "msg_" + a.id, Type: "message", Status: "completed", Role: "assistant", Content: &content})
	}
	for i, c := range a.turn.ToolCalls {
		args := c.ArgumentsText()
		out = append(out, respItem{
			ID: fmt.Sprintf("fc_%s_%d", a.id, i), Type: "function_call", Status: "completed",
			CallID: a.callID(i), Name: c.Name, Arguments: &args,
		})
	}
	return out
}

func responseObject(a answer, status string) respObject {
	r := respObject{
		ID: "resp_" + a.id, Object: "response", CreatedAt: a.created, Status: status, Model: a.modelID(),
		Output: []respItem{}, ParallelToolCalls: true, ToolChoice: "auto", Tools: []any{},
	}
	if status == "completed" {
		r.Output = a.items()
		u := &respUsage{InputTokens: a.usage.input, OutputTokens: a.usage.output, TotalTokens: a.usage.input + a.usage.output}
		u.InputTokensDetails.CachedTokens = a.usage.cached
		r.Usage = u
	}
	return r
}

// responsesStream is the SSE event list of a streamed response, ending with
// response.completed.
func responsesStream(a answer) []sseEvent {
	var evs []sseEvent
	seq := 0
	add := func(e respEvent) {
		e.SequenceNumber = seq
		seq++
		evs = append(evs, sseEvent{name: e.Type, data: mustJSON(e)})
	}
	intp := func(i int) *int { return &i }
	strp := func(s string) *string { return &s }

	pending := responseObject(a, "in_progress")
	add(respEvent{Type: "response.created", Response: &pending})
	add(respEvent{Type: "response.in_progress", Response: &pending})
	for idx, item := range a.items() {
		switch item.Type {
		case "message":
			empty := []respContent{}
			started := item
			started.Status, started.Content = "in_progress", &empty
			add(respEvent{Type: "response.output_item.added", OutputIndex: intp(idx), Item: &started})
			add(respEvent{Type: "response.content_part.added", OutputIndex: intp(idx), ItemID: item.ID, ContentIndex: intp(0),
				Part: &respContent{Type: "output_text", Text: "", Annotations: []any{}}})
			for _, piece := range split(a.turn.Text) {
				add(respEvent{Type: "response.output_text.delta", OutputIndex: intp(idx), ItemID: item.ID, ContentIndex: intp(0), Delta: strp(piece)})
			}
			add(respEvent{Type: "response.output_text.done", OutputIndex: intp(idx), ItemID: item.ID, ContentIndex: intp(0), Text: strp(a.turn.Text)})
			add(respEvent{Type: "response.content_part.done", OutputIndex: intp(idx), ItemID: item.ID, ContentIndex: intp(0),
				Part: &(*item.Content)[0]})
		case "function_call":
			started := item
			started.Status, started.Arguments = "in_progress", strp("")
			add(respEvent{Type: "response.output_item.added", OutputIndex: intp(idx), Item: &started})
			for _, piece := range split(*item.Arguments) {
				add(respEvent{Type: "response.function_call_arguments.delta", OutputIndex: intp(idx), ItemID: item.ID, Delta: strp(piece)})
			}
			add(respEvent{Type: "response.function_call_arguments.done", OutputIndex: intp(idx), ItemID: item.ID, Arguments: item.Arguments})
		}
		done := item
		add(respEvent{Type: "response.output_item.done", OutputIndex: intp(idx), Item: &done})
	}
	final := responseObject(a, "completed")
	add(respEvent{Type: "response.completed", Response: &final})
	return evs
}
