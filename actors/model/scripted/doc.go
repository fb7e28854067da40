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
// runs of consecutive function_call items or assistant messages). A retried
// request therefore gets the same turn. The only state is the counters of
// scripted faults served (a turn's fault is served Fault.Times times, then
// the turn is served normally), the seeded RNG of random faults, and the
// request log ([Server.Log]).
//
// Faults: "http_500"; "http_429" with a Retry-After header; "cut", which ends
// an SSE stream about half-way without its terminal event ([DONE] or
// response.completed) and aborts a non-stream body half-way.
//
// Streams split text and tool-call arguments over several chunks so that
// clients must accumulate. Usage is estimated: input tokens ≈ request
// bytes/4, cached ≈ bytes of the conversation before the last assistant
// turn/4, output ≈ answer bytes/4.
package scripted
