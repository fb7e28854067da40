// Package ui owns cadre's terminal dashboard ("mission control") and the
// client of the supervisor's local API that feeds it.
//
// It is built in three layers, after k9s:
//
//   - Model (model.go) folds messaging.Events into a snapshot: the run
//     header, one row per agent with a derived status, the message flow, the
//     approvals inbox and a per-agent conversation. It imports no UI code;
//     Apply is cheap and safe for concurrent use with Snapshot.
//   - Pure render functions (render.go) turn snapshots into header text,
//     tree rows, flow lines, detail text and approval rows, with tview colour
//     tags. They need no screen and are table-tested.
//   - Views (app.go, pick.go) draw those renders with tview. Events are
//     applied by one goroutine; a ticker issues at most one
//     Application.QueueUpdateDraw per tick, and only when something changed.
//
// Every action a person takes (pause, resume, interrupt, message, cancel,
// approve, deny) becomes a messaging.Control sent through Source.Control;
// the dashboard never calls the engine. Closing the dashboard never stops
// the run.
//
// Source is the consumer-side interface of the supervisor; NewAPIClient
// implements it over the local API (HTTP on a unix socket, events as
// server-sent events). MeasureLoad runs the real dashboard on a simulated
// screen under generated load and reports CPU share, peak RSS and
// key-to-screen latency.
package ui
