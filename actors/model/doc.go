// Package model is cadre's client for OpenAI-compatible model servers.
//
// It owns one thing: turning a [Request] (instructions, conversation items and
// tool definitions) into one completed model [Turn] (final text or tool calls,
// plus token usage), over either wire API a provider speaks:
//
//   - "chat":      POST {base_url}/chat/completions, streamed, with
//     stream_options.include_usage;
//   - "responses": POST {base_url}/responses, streamed.
//
// The HTTP and SSE plumbing is openai-go v3. Environment variables the SDK
// would normally read (OPENAI_API_KEY, OPENAI_BASE_URL, ...) are ignored: the
// [Config] is the only source of settings, and an empty APIKey means no
// Authorization header at all.
//
// A [Request] names its caller and purpose in the headers X-Cadre-Agent,
// X-Cadre-Role and X-Cadre-Purpose ("compact" for a compaction summary).
// [RequestBody] returns the body a request would be sent with, without
// sending it, and [PromptPrefix] says how much of one request's prompt
// repeats the previous one's, which is what provider prompt caches reuse.
//
// Lifecycle of one [Client.Turn]:
//
//	attempt 1 ─► stream ─► terminal event seen? ─► yes: Turn
//	   │                         │ no (cut) / stalled / 429 / 5xx / network
//	   │                         ▼
//	   │               OnRetry(attempt, err, wait) ─► Sleep(wait) ─► attempt n+1
//	   │
//	   └─► 400/401/403/404 (and other non-retryable 4xx): *ProviderError at once
//
// Tool calls are read from the accumulated message only after the terminal
// event ([DONE] for chat, response.completed for responses), so a cut stream
// never yields a half-received tool call. A stream that sends no byte for
// StallTimeout is abandoned ([ErrStall]) and the turn retried. The SDK's own
// retries are disabled; this package's loop is the only one, so every retry is
// visible to the caller through Config.OnRetry.
package model
