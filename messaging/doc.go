// Package messaging owns cadre's vocabulary on the wire: agent addresses,
// run ids, the envelope every message travels in, every message kind an agent
// may send with its JSON Schema, and every event the journal records and the
// views read. It imports nothing else of cadre, so every other package can
// depend on it.
//
// A message kind is exposed to a model as a tool of the same name whose
// parameters are the kind's schema; the arguments the model sends are
// validated against that same schema before they become a message.
package messaging

// Version is the version of the wire format defined here. It is recorded in
// every journal so that a reader knows what it is looking at.
const Version = 1
