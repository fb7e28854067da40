package actors

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/actors/tools"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
)

//go:embed schemas/*.json
var schemaFS embed.FS

var teamSchemas = map[string]*messaging.Schema{}

func init() {
	for _, n := range []string{ToolSpawnAgent, ToolWait, ToolShell, ToolRunTests} {
		raw, err := schemaFS.ReadFile("schemas/" + n + ".json")
		if err != nil {
			panic(err)
		}
		teamSchemas[n] = messaging.MustCompileSchema(n, raw)
	}
}

// splitDescription takes a schema's top-level description out: it becomes
// the tool's description, and the parameters stay as small as they can.
func splitDescription(s *messaging.Schema) (string, json.RawMessage) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(s.Raw(), &doc); err != nil {
		return "", s.Raw()
	}
	var desc string
	if raw, ok := doc["description"]; ok {
		_ = json.Unmarshal(raw, &desc)
		delete(doc, "description")
	}
	params, err := json.Marshal(doc)
	if err != nil {
		return desc, s.Raw()
	}
	return desc, params
}

func (a *Agent) buildTools() error {
	a.tools = map[string]handler{}
	files := map[string]tools.Tool{}
	if a.cfg.Worktree != "" {
		for _, t := range tools.FileTools(a.cfg.Worktree) {
			files[t.Spec().Name] = t
		}
	}
	for _, name := range a.cfg.Role.Tools {
		var h handler
		if t, ok := files[name]; ok {
			t := t
			h = handler{spec: t.Spec(), readOnly: t.ReadOnly(), retrySafe: name == "apply_patch", run: func(ctx context.Context, _ string, args json.RawMessage) (tools.Result, error) {
				if name == "apply_patch" && a.cfg.WriteAllowed != nil {
					if err := a.checkLease(args); err != nil {
						return tools.Result{}, err
					}
				}
				return t.Run(ctx, args)
			}}
		} else if name == ToolSubmitPlan {
			s := messaging.PlanSchema()
			desc, params := splitDescription(s)
			h = handler{spec: tools.Spec{Name: name, Description: desc, Parameters: params}, retrySafe: true,
				run: a.validated(s, func(ctx context.Context, _ string, args json.RawMessage) (tools.Result, error) {
					text, err := a.cfg.Host.SubmitPlan(ctx, args)
					if err != nil {
						return tools.Result{}, err
					}
					return tools.Result{Output: text}, nil
				})}
		} else if s, ok := teamSchemas[name]; ok {
			desc, params := splitDescription(s)
			h = handler{spec: tools.Spec{Name: name, Description: desc, Parameters: params}}
			switch name {
			case ToolSpawnAgent:
				// Spawning the same child again returns it; its assign is
				// sent once (see sentBy).
				h.retrySafe = true
				h.run = a.validated(s, a.spawnAgent)
			case ToolWait:
				h.readOnly = true
				h.run = a.validated(s, a.wait)
			case ToolShell:
				h.run = a.validated(s, a.shell)
			case ToolRunTests:
				h.retrySafe = true // its report is sent once: see sentBy
				h.run = a.validated(s, a.runTests)
			}
		} else if s, err := messaging.SchemaOf(messaging.Kind(name)); err == nil {
			kind := messaging.Kind(name)
			desc, params := splitDescription(s)
			h = handler{spec: tools.Spec{Name: name, Description: desc, Parameters: params}, retrySafe: true,
				run: func(ctx context.Context, _ string, args json.RawMessage) (tools.Result, error) {
					return a.sendKind(ctx, kind, args)
				}}
		} else {
			return fmt.Errorf("role %s names unknown tool %q", a.cfg.Role.Name, name)
		}
		a.tools[name] = h
		a.specs = append(a.specs, model.Tool{Name: h.spec.Name, Description: h.spec.Description, Parameters: h.spec.Parameters})
	}
	return nil
}

func (a *Agent) validated(s *messaging.Schema, f func(ctx context.Context, callID string, args json.RawMessage) (tools.Result, error)) func(context.Context, string, json.RawMessage) (tools.Result, error) {
	return func(ctx context.Context, callID string, args json.RawMessage) (tools.Result, error) {
		if err := s.Validate(args); err != nil {
			return tools.Result{}, err
		}
		return f(ctx, callID, args)
	}
}

func (a *Agent) sendKind(ctx context.Context, kind messaging.Kind, args json.RawMessage) (tools.Result, error) {
	body, toText, err := messaging.ParseToolCall(kind, args)
	if err != nil {
		return tools.Result{}, err
	}
	if r, ok := body.(messaging.Report); ok {
		if err := a.report(ctx, r); err != nil {
			return tools.Result{}, err
		}
		if a.cfg.Address.IsRoot() {
			return tools.Result{Output: "report recorded; the run is finishing"}, nil
		}
		parent, _ := a.cfg.Address.Parent()
		return tools.Result{Output: "report sent to " + parent.String()}, nil
	}
	var to messaging.Address
	if messaging.HasRecipient(kind) {
		if to, err = messaging.ParseAddress(toText); err != nil {
			return tools.Result{}, fmt.Errorf("%w: %s: to: %v", messaging.ErrInvalid, kind, err)
		}
	}
	env, err := a.cfg.Host.Send(ctx, to, body)
	if err != nil {
		return tools.Result{}, err
	}
	return tools.Result{Output: fmt.Sprintf("sent %s %s to %s", kind, env.ID, env.To)}, nil
}

func (a *Agent) spawnAgent(ctx context.Context, _ string, args json.RawMessage) (tools.Result, error) {
	var p struct{ Role, Name, Task, Subtask string }
	if err := json.Unmarshal(args, &p); err != nil {
		return tools.Result{}, err
	}
	addr, err := a.cfg.Host.Spawn(ctx, p.Role, p.Name, p.Task, p.Subtask)
	if err != nil {
		return tools.Result{}, err
	}
	env, err := a.cfg.Host.Send(ctx, addr, messaging.Assign{Task: p.Task})
	if err != nil {
		return tools.Result{}, fmt.Errorf("spawned %s but could not assign its task: %w", addr, err)
	}
	return tools.Result{Output: fmt.Sprintf("spawned %s (%s); task sent as %s", addr, p.Role, env.ID)}, nil
}

const defaultWait = 10 * time.Minute

// wait takes messages from the mailbox until at least count arrived and,
// with "from", at least one of each listed sender.
func (a *Agent) wait(ctx context.Context, callID string, args json.RawMessage) (tools.Result, error) {
	var p struct {
		From     []string `json:"from"`
		Count    int      `json:"count"`
		TimeoutS int      `json:"timeout_s"`
	}
	if err := json.Unmarshal(args, &p); err != nil {
		return tools.Result{}, err
	}
	if p.Count < 1 {
		p.Count = 1
	}
	need := map[messaging.Address]bool{}
	var from []messaging.Address
	for _, f := range p.From {
		addr, err := messaging.ParseAddress(f)
		if err != nil {
			return tools.Result{}, fmt.Errorf("%w: wait: from: %v", messaging.ErrInvalid, err)
		}
		need[addr] = true
		from = append(from, addr)
	}
	timeout := defaultWait
	if p.TimeoutS > 0 {
		timeout = time.Duration(p.TimeoutS) * time.Second
	}
	if err := a.cfg.Host.Record(ctx, messaging.Waiting{From: from, TimeoutMS: timeout.Milliseconds()}); err != nil {
		return tools.Result{}, err
	}
	got := append([]messaging.Envelope(nil), a.waitBuf[callID]...) // taken before a restart
	for _, e := range got {
		delete(need, e.From)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	timedOut := false
	for len(got) < p.Count || len(need) > 0 {
		for _, env := range a.take() {
			if err := a.deliver(ctx, env, messaging.ViaWait, callID); err != nil {
				return tools.Result{}, err
			}
			got = append(got, env)
			delete(need, env.From)
		}
		if len(got) >= p.Count && len(need) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return tools.Result{}, ctx.Err()
		case <-a.signal:
			continue
		case <-timer.C:
			timedOut = true
		}
		break
	}
	var b strings.Builder
	if timedOut {
		fmt.Fprintf(&b, "wait timed out after %s", timeout)
		if len(need) > 0 {
			var missing []string
			for addr := range need {
				missing = append(missing, addr.String())
			}
			fmt.Fprintf(&b, "; nothing yet from %s", strings.Join(missing, ", "))
		}
		b.WriteString("\n")
	}
	for i, env := range got {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(formatMessage(env))
	}
	if len(got) == 0 {
		b.WriteString("no messages")
	}
	return tools.Result{Output: b.String()}, nil
}

var errNoRunner = errors.New("commands cannot run: this agent has no sandbox")

func (a *Agent) shell(ctx context.Context, _ string, args json.RawMessage) (tools.Result, error) {
	var p struct {
		Command  []string `json:"command"`
		Workdir  string   `json:"workdir"`
		TimeoutS int      `json:"timeout_s"`
	}
	if err := json.Unmarshal(args, &p); err != nil {
		return tools.Result{}, err
	}
	res, err := a.exec(ctx, sandbox.Command{Argv: p.Command, Dir: p.Workdir, Timeout: time.Duration(p.TimeoutS) * time.Second})
	if err != nil {
		return tools.Result{}, err
	}
	return tools.Result{Output: describeResult(res)}, nil
}

func (a *Agent) exec(ctx context.Context, cmd sandbox.Command) (sandbox.Result, error) {
	if a.cfg.Runner == nil {
		return sandbox.Result{}, errNoRunner
	}
	if err := a.gateCommand(ctx, cmd.Argv); err != nil {
		return sandbox.Result{}, err
	}
	release, err := a.cfg.Host.Acquire(ctx)
	if err != nil {
		return sandbox.Result{}, err
	}
	defer release()
	res, err := a.cfg.Runner.Run(ctx, cmd)
	if err != nil {
		return res, fmt.Errorf("run %s: %w", strings.Join(cmd.Argv, " "), err)
	}
	return res, nil
}

func describeResult(res sandbox.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "exit code: %d", res.ExitCode)
	if res.TimedOut {
		b.WriteString(" (timed out, process group killed)")
	} else if res.Signal != "" {
		fmt.Fprintf(&b, " (killed by %s)", res.Signal)
	}
	b.WriteString("\n")
	b.Write(res.Output)
	return b.String()
}

var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

const maxTestOutput = 4000

func (a *Agent) runTests(ctx context.Context, callID string, args json.RawMessage) (tools.Result, error) {
	var p struct {
		Command []string `json:"command"`
	}
	if err := json.Unmarshal(args, &p); err != nil {
		return tools.Result{}, err
	}
	// Without an unanswered test_request, wait for one: whether it came
	// before this turn or comes during it, the call does the same.
	var meanwhile []messaging.Envelope
	if len(a.testQueue) == 0 {
		var err error
		if meanwhile, err = a.awaitTestRequest(ctx, callID); err != nil {
			return tools.Result{}, err
		}
	}
	req := a.testQueue[0]
	body, err := req.Decode()
	if err != nil {
		return tools.Result{}, err
	}
	tr := body.(messaging.TestRequest)
	if tr.Commit == "" {
		return tools.Result{}, fmt.Errorf("test_request %s names no commit", req.ID)
	}
	if err := a.cfg.Host.CheckoutForTest(ctx, tr.Commit); err != nil {
		return tools.Result{}, err
	}
	cmd := p.Command
	if len(cmd) == 0 {
		cmd = a.cfg.TestCommand
	}
	if len(cmd) == 0 {
		return tools.Result{}, errors.New("no test command known for this repository: pass command")
	}
	res, err := a.exec(ctx, sandbox.Command{Argv: cmd})
	if err != nil {
		return tools.Result{}, err
	}
	out := string(res.Output)
	report := messaging.TestReport{
		Passed: res.ExitCode == 0 && !res.TimedOut, Command: cmd, ExitCode: res.ExitCode,
		Commit: tr.Commit, Agents: tr.Agents, Truncated: res.Truncated,
	}
	for _, m := range failLine.FindAllStringSubmatch(out, -1) {
		report.Failed = append(report.Failed, m[1])
	}
	if len(out) > maxTestOutput {
		out = "…" + out[len(out)-maxTestOutput:]
		report.Truncated = true
	}
	report.Output = out
	env, err := a.cfg.Host.Send(ctx, req.From, report)
	if err != nil {
		return tools.Result{}, err
	}
	verdict := "PASSED"
	if !report.Passed {
		verdict = "FAILED"
	}
	summary := fmt.Sprintf("tests %s (exit %d) at %s; test_report %s sent to %s", verdict, res.ExitCode, messaging.ShortCommit(tr.Commit), env.ID, req.From)
	if len(report.Failed) > 0 {
		summary += "\nfailing: " + strings.Join(report.Failed, ", ")
	}
	var got strings.Builder
	for _, m := range meanwhile {
		got.WriteString("\n\n" + formatMessage(m))
	}
	if got.Len() > 0 {
		summary = "received while waiting for a test_request:" + got.String() + "\n\n" + summary
	}
	return tools.Result{Output: summary + "\n" + describeResult(res)}, nil
}

// awaitTestRequest takes messages from the mailbox (delivered to this call,
// like wait's) until a test_request is among them, and returns them all.
func (a *Agent) awaitTestRequest(ctx context.Context, callID string) ([]messaging.Envelope, error) {
	got := append([]messaging.Envelope(nil), a.waitBuf[callID]...) // taken before a restart
	timer := time.NewTimer(defaultWait)
	defer timer.Stop()
	for len(a.testQueue) == 0 {
		for _, env := range a.take() {
			if err := a.deliver(ctx, env, messaging.ViaWait, callID); err != nil {
				return nil, err
			}
			got = append(got, env)
		}
		if len(a.testQueue) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-a.signal:
		case <-timer.C:
			return nil, fmt.Errorf("no test_request arrived within %s", defaultWait)
		}
	}
	return got, nil
}

// checkLease refuses a patch that touches a path outside the agent's write
// lease, before anything is written.
func (a *Agent) checkLease(args json.RawMessage) error {
	var p struct {
		Patch string `json:"patch"`
	}
	if err := json.Unmarshal(args, &p); err != nil {
		return err
	}
	patch, err := tools.ParsePatch(p.Patch)
	if err != nil {
		return nil // apply_patch itself reports the parse error
	}
	for _, op := range patch.Ops {
		for _, path := range []string{op.Path, op.MoveTo} {
			if path == "" {
				continue
			}
			if err := a.cfg.WriteAllowed(path); err != nil {
				return fmt.Errorf("apply_patch refused, nothing was written: %w", err)
			}
		}
	}
	return nil
}
