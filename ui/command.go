package ui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cadre-dev/cadre/messaging"
)

// ErrBadCommand is wrapped by command-bar input that cannot be understood.
var ErrBadCommand = errors.New("bad command")

// Command is what a line of the command bar asks for: either quitting the
// dashboard or sending a control.
type Command struct {
	Quit    bool
	Control messaging.Control
}

// ParseCommand parses a command-bar line (without the leading ':'):
// pause ADDR, resume ADDR, interrupt ADDR, msg ADDR TEXT…, cancel,
// approve ID, deny ID REASON…, q.
func ParseCommand(line string) (Command, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return Command{}, fmt.Errorf("%w: empty", ErrBadCommand)
	}
	verb, args := fields[0], fields[1:]
	rest := func(n int) string {
		// the text after the first n arguments, spacing kept
		s := strings.TrimSpace(line)
		for range n + 1 {
			s = strings.TrimLeft(s, " \t")
			if i := strings.IndexAny(s, " \t"); i >= 0 {
				s = s[i:]
			} else {
				return ""
			}
		}
		return strings.TrimSpace(s)
	}
	addr := func() (messaging.Address, error) {
		if len(args) == 0 {
			return messaging.Address{}, fmt.Errorf("%w: %s needs an agent address", ErrBadCommand, verb)
		}
		a, err := messaging.ParseAddress(args[0])
		if err != nil {
			return messaging.Address{}, fmt.Errorf("%w: %s: %w", ErrBadCommand, verb, err)
		}
		return a, nil
	}
	var c messaging.Control
	switch verb {
	case "q", "quit":
		return Command{Quit: true}, nil
	case "pause", "resume", "interrupt":
		a, err := addr()
		if err != nil {
			return Command{}, err
		}
		c = messaging.Control{Action: verb, Target: a}
	case "msg", "message":
		a, err := addr()
		if err != nil {
			return Command{}, err
		}
		c = messaging.Control{Action: messaging.ActionMessage, Target: a, Text: rest(1)}
	case "cancel":
		c = messaging.Control{Action: messaging.ActionCancel}
	case "approve", "deny":
		if len(args) == 0 {
			return Command{}, fmt.Errorf("%w: %s needs an approval id", ErrBadCommand, verb)
		}
		c = messaging.Control{Action: verb, ApprovalID: args[0]}
		if verb == "deny" {
			c.Text = rest(1)
		}
	default:
		return Command{}, fmt.Errorf("%w: unknown command %q", ErrBadCommand, verb)
	}
	if err := c.Validate(); err != nil {
		return Command{}, fmt.Errorf("%w: %w", ErrBadCommand, err)
	}
	return Command{Control: c}, nil
}
