package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

// notifyTimeout bounds one run of the notify program.
const notifyTimeout = 30 * time.Second

// notifier runs the configured notify program (config notify = ["prog",
// "arg", ...]) with the JSON of each event a person may want to hear of as
// its last argument: a run finished or was suspended, an agent finished,
// an agent waits for an approval. The program is the user's own: it runs
// outside any sandbox, with cadre's environment.
type notifier struct {
	argv   []string
	errOut io.Writer
	wg     sync.WaitGroup
}

func newNotifier(argv []string, errOut io.Writer) *notifier {
	if len(argv) == 0 {
		return nil
	}
	return &notifier{argv: argv, errOut: errOut}
}

func notable(t messaging.EventType) bool {
	switch t {
	case messaging.EvRunFinished, messaging.EvRunSuspended, messaging.EvAgentFinished, messaging.EvApprovalRequested, messaging.EvBudgetExhausted:
		return true
	}
	return false
}

// event starts the program for ev when it is notable; nil n does nothing.
func (n *notifier) event(ev messaging.Event) {
	if n == nil || !notable(ev.Type) {
		return
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, n.argv[0], append(n.argv[1:len(n.argv):len(n.argv)], string(payload))...)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(n.errOut, "cadre: warning: notify %s: %v %s\n", n.argv[0], err, oneLine(string(out), 200))
		}
	}()
}

// wait waits for the programs still running.
func (n *notifier) wait() {
	if n != nil {
		n.wg.Wait()
	}
}
