package actors

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/cadre-dev/cadre/sandbox/execpolicy"
)

// Approval policies: when a command needs a person's decision.
const (
	ApprovalUntrusted = "untrusted"  // unmatched commands ask too
	ApprovalOnRequest = "on-request" // only commands a rule marks "prompt" ask
	ApprovalNever     = "never"      // nobody is asked: "prompt" commands are denied
)

// ValidApprovalPolicy checks an approval_policy value.
func ValidApprovalPolicy(s string) error {
	switch s {
	case ApprovalUntrusted, ApprovalOnRequest, ApprovalNever:
		return nil
	}
	return fmt.Errorf("approval_policy %q: want untrusted, on-request or never", s)
}

// Gate decides whether an agent may run a command: the exec-policy rules,
// the approval policy, and a person when both say so. It is shared by the
// agents of a run, so "always allow" applies to all of them.
type Gate struct {
	mu       sync.Mutex
	rules    *execpolicy.Policy
	approval string
}

// NewGate builds a gate; nil rules means the shipped defaults.
func NewGate(rules *execpolicy.Policy, approval string) (*Gate, error) {
	if rules == nil {
		rules = execpolicy.Default()
	}
	if approval == "" {
		approval = ApprovalOnRequest
	}
	if err := ValidApprovalPolicy(approval); err != nil {
		return nil, err
	}
	return &Gate{rules: rules, approval: approval}, nil
}

// verdict is what the gate says before any person is asked.
type verdict struct {
	ask    bool
	deny   bool
	reason string
}

func (g *Gate) check(argv []string) verdict {
	g.mu.Lock()
	d := g.rules.Check(argv)
	g.mu.Unlock()
	rule := execpolicy.Format(d)
	switch d.Decision {
	case execpolicy.Forbidden:
		return verdict{deny: true, reason: rule}
	case execpolicy.Allow:
		return verdict{}
	case execpolicy.Prompt:
		if g.approval == ApprovalNever {
			return verdict{deny: true, reason: rule + "; approval_policy is never, so nobody can approve it"}
		}
		return verdict{ask: true, reason: rule}
	}
	if g.approval == ApprovalUntrusted {
		return verdict{ask: true, reason: "no rule matches and approval_policy is untrusted"}
	}
	return verdict{}
}

// allowAlways adds an allow rule for argv's command and first argument.
func (g *Gate) allowAlways(argv []string) {
	prefix := argv
	if len(prefix) > 2 {
		prefix = prefix[:2]
	}
	g.mu.Lock()
	g.rules.AddRule(append([]string(nil), prefix...), execpolicy.Allow)
	g.mu.Unlock()
}

// gateCommand applies the gate to one command of this agent; a denial is an
// error the model sees with the reason.
func (a *Agent) gateCommand(ctx context.Context, argv []string) error {
	if a.cfg.Gate == nil {
		return nil
	}
	v := a.cfg.Gate.check(argv)
	if v.deny {
		return fmt.Errorf("command denied: %s", v.reason)
	}
	if !v.ask {
		return nil
	}
	d, err := a.cfg.Host.Approve(ctx, argv, v.reason)
	if err != nil {
		return fmt.Errorf("approval of %s: %w", strings.Join(argv, " "), err)
	}
	if !d.Approved {
		why := d.Reason
		if why == "" {
			why = "no reason given"
		}
		return fmt.Errorf("command denied by %s: %s", d.By, why)
	}
	if d.Always {
		a.cfg.Gate.allowAlways(argv)
	}
	return nil
}
