// Package scripted is a stand-in for an OpenAI-compatible model server that
// plays a script. It is not a model: every answer is written in a JSON
// [Script] in advance, per agent, turn by turn.
//
// It owns the script format ([ParseScript], [LoadScript]) and the server
// ([Server], [ListenAndServe]) behind `cadre model-server` and behind every
// test that drives real agents without a key: real HTTP, real SSE, the bodies
// openai-go parses, on these endpoints (a leading /v1 is optional):
//
//	POST /v1/chat/completions   stream or not
//	POST /v1/responses          stream or not
//	GET  /v1/models             lists "cadre-scripted"
//
// Which script plays: the header X-Cadre-Agent (an exact address key such as
// "/root/coder_a"), then X-Cadre-Role ("role:<name>" key). Without those
// headers the system text / instructions are searched for the lines
// "address: /root/..." and "role: NAME", so other clients work too.
//
// Which turn plays is derived from the request alone: the number of assistant
// turns already in the conversation (chat: assistant messages; responses:
// runs of consecutive function_call items or assistant messages), plus N
// when the first conversation item is a user item starting with cadre's
// compaction header "[cadre: N earlier turns compacted]" (the turns it
// replaced). A retried request therefore gets the same turn, before and
// after a compaction. The only state is the counters of
// scripted faults served (a turn's fault is served Fault.Times times, then
// the turn is served normally), the seeded RNG of random faults, and the
// request log ([Server.Log]).
//
// Faults: "http_500"; "http_429" with a Retry-After header; "cut", which ends
// an SSE stream about half-way without its terminal event ([DONE] or
// response.completed) and aborts a non-stream body half-way.
//
// Compaction: a request with the header X-Cadre-Purpose: compact asks for a
// summary, not for a turn. It is answered, whatever the script, with a
// deterministic text built from the request: "scripted summary of N items
// (T assistant turns); last tool results: ..." quoting the first line of
// the last two tool outputs. Only random faults apply to it. It is not a
// summary of anything a model understood; it only lets tests see what was
// compacted. Script.ContextWindow makes the server refuse, like a provider,
// requests whose estimated input exceeds a window, so that a test can
// check an agent compacts before it gets there.
//
// Streams split text and tool-call arguments over several chunks so that
// clients must accumulate. Usage is estimated: input tokens ≈ request
// bytes/4, cached ≈ bytes of the conversation before the last assistant
// turn/4, output ≈ answer bytes/4.
package scripted
