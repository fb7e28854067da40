package supervisor

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/cadre-dev/cadre/actors"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
)

// ErrAgentExists is returned when spawning an address that is taken.
var ErrAgentExists = errors.New("agent already exists")

// spawn creates an agent's worktree, journals agent_started and starts its
// actor as a child of parentPID.
func (r *Run) spawn(ctx context.Context, parentPID *actor.PID, parent, addr messaging.Address, roleName, task, subtask string) (*agentState, error) {
	return r.spawnAt(ctx, parentPID, parent, addr, roleName, task, subtask, "")
}

// spawnAt is spawn with the commit the agent's branch starts from ("": the
// run's base, or the result branch for a subtask).
func (r *Run) spawnAt(ctx context.Context, parentPID *actor.PID, parent, addr messaging.Address, roleName, task, subtask, at string) (*agentState, error) {
	role, err := r.Spec.Roles.Lookup(roleName)
	if err != nil {
		return nil, fmt.Errorf("spawn %s: %w", addr, err)
	}
	r.mu.Lock()
	if old, ok := r.agents[addr]; ok {
		r.mu.Unlock()
		switch {
		case old.failed && old.role.Name == role.Name && old.parent == parent:
			return r.respawn(ctx, parentPID, old, task)
		case old.role.Name == role.Name && old.task == task && old.parent == parent:
			return old, nil // the same spawn again: a call cut off by a restart
		}
		return nil, fmt.Errorf("spawn %s: %w (a %s; only a failed agent can be replaced, by one of the same role)", addr, ErrAgentExists, old.role.Name)
	}
	if len(r.agents) >= r.Spec.MaxAgents {
		r.mu.Unlock()
		return nil, fmt.Errorf("spawn %s: the run already has %d agents, its limit", addr, r.Spec.MaxAgents)
	}
	if role.Max > 0 {
		n := 0
		for _, o := range r.agents {
			if o.role.Name == role.Name && !o.failed && !o.stopped {
				n++
			}
		}
		if n >= role.Max {
			r.mu.Unlock()
			return nil, fmt.Errorf("spawn %s: the team allows %d %s agent(s) at once", addr, role.Max, role.Name)
		}
	}
	st := &agentState{addr: addr, role: role, parent: parent, task: task, gen: 1, started: r.sup.now(), subtask: subtask}
	base := r.Base
	if subtask != "" {
		// A subtask starts once its dependencies are merged, from the
		// result branch that holds them.
		if st.lease, err = r.startSubtask(subtask); err != nil {
			r.mu.Unlock()
			return nil, fmt.Errorf("spawn %s: %w", addr, err)
		}
	}
	r.agents[addr] = st // reserve the address
	r.mu.Unlock()
	if subtask != "" {
		if base, err = r.Repo.ResolveCommit(ctx, r.Result); err != nil {
			r.forget(addr)
			return nil, fmt.Errorf("spawn %s: %w", addr, err)
		}
	}
	if at != "" {
		base = at
	}

	slug := addr.Slug()
	wt, err := r.Repo.Add(ctx, worktreeDir(r.sup.state, r.ID, slug), "cadre/"+r.ID+"/"+slug, base)
	if err != nil {
		r.forget(addr)
		return nil, fmt.Errorf("spawn %s: %w", addr, err)
	}
	st.wt, st.lastSnap = wt, base
	st.private = privateDir(r.sup.state, r.ID, slug)
	if err := os.MkdirAll(st.private, 0o700); err != nil {
		r.forget(addr)
		return nil, fmt.Errorf("spawn %s: %w", addr, err)
	}
	if _, err := r.record(ctx, addr, st.gen, messaging.AgentStarted{
		Role: role.Name, Parent: parent, Task: task, Model: r.Spec.Model.Model,
		Worktree: wt.Path, Branch: wt.Branch, Base: base, Subtask: subtask, Lease: st.lease,
	}); err != nil {
		r.forget(addr)
		return nil, err
	}
	if err := r.startActor(ctx, parentPID, st); err != nil {
		return nil, err
	}
	return st, nil
}

// respawn puts a fresh agent (new generation, empty conversation) at the
// address of a failed one. It continues on the same branch and worktree;
// messages sent to the failed generation are dropped and journaled.
func (r *Run) respawn(ctx context.Context, parentPID *actor.PID, st *agentState, task string) (*agentState, error) {
	r.mu.Lock()
	oldPID := st.pid
	st.pid = nil
	r.mu.Unlock()
	if oldPID != nil {
		_ = r.sup.system.Root.StopFuture(oldPID).Wait()
	}
	r.mu.Lock()
	if st.subtask != "" && r.schedule != nil {
		_ = r.schedule.Retry(st.subtask) // the fresh agent takes the failed subtask over
	}
	st.failed, st.task, st.panics = false, task, nil
	st.gen++
	st.freshGen = st.gen
	dropped := r.pending[st.addr]
	r.pending[st.addr] = nil
	r.mu.Unlock()
	for _, env := range dropped {
		if err := r.recordDrop(ctx, st, env, st.gen); err != nil {
			return nil, err
		}
	}
	base := cmp.Or(st.wt.Base, r.Base) // where its work started, for diffs
	wt, err := r.Repo.Add(ctx, st.wt.Path, st.wt.Branch, r.head(st))
	if err != nil {
		return nil, fmt.Errorf("respawn %s: %w", st.addr, err)
	}
	wt.Base = base
	st.wt = wt
	if _, err := r.record(ctx, st.addr, st.gen, messaging.AgentStarted{
		Role: st.role.Name, Parent: st.parent, Task: task, Model: r.Spec.Model.Model,
		Worktree: wt.Path, Branch: wt.Branch, Base: base, Fresh: true, Subtask: st.subtask, Lease: st.lease,
	}); err != nil {
		return nil, err
	}
	if err := r.startActor(ctx, parentPID, st); err != nil {
		return nil, err
	}
	return st, nil
}

// stale reports whether env was sent to a generation of st older than its
// latest fresh start; it then journals the drop.
func (r *Run) stale(st *agentState, env messaging.Envelope) bool {
	r.mu.Lock()
	fresh, gen := st.freshGen, st.gen
	r.mu.Unlock()
	if env.Generation >= fresh {
		return false
	}
	_ = r.recordDrop(r.ctx, st, env, gen)
	r.delivered(st.addr, env.ID)
	return true
}

// recordDrop journals that env, sent to an earlier generation of st, will
// never be delivered to its generation gen.
func (r *Run) recordDrop(ctx context.Context, st *agentState, env messaging.Envelope, gen int) error {
	_, err := r.record(ctx, st.addr, gen, messaging.MessageDropped{Envelope: env,
		Reason: fmt.Sprintf("sent to generation %d; %s was started afresh as generation %d", env.Generation, st.addr, gen)})
	return err
}

// startActor starts the actor of a registered agent as a child of parentPID.
func (r *Run) startActor(ctx context.Context, parentPID *actor.PID, st *agentState) error {
	addr := st.addr
	props := actor.PropsFromProducer(func() actor.Actor { return &agentActor{run: r, addr: addr} },
		actor.WithSupervisor(agentStrategy()))
	reply := make(chan spawnReply, 1)
	r.sup.system.Root.Send(parentPID, &spawnChild{name: addr.Name(), props: props, reply: reply})
	select {
	case rep := <-reply:
		if rep.err != nil {
			return fmt.Errorf("spawn actor %s: %w", addr, rep.err)
		}
		r.mu.Lock()
		st.pid = rep.pid
		r.mu.Unlock()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(spawnTimeout):
		// The parent's actor is gone (it failed meanwhile): its mailbox
		// goes to dead letters and nobody answers.
		return fmt.Errorf("spawn actor %s: its parent did not answer within %s (did it fail?)", addr, spawnTimeout)
	}
}

// spawnTimeout bounds the wait for a parent actor to spawn a child; it
// answers within microseconds unless it has stopped.
const spawnTimeout = 30 * time.Second

func (r *Run) forget(addr messaging.Address) {
	r.mu.Lock()
	delete(r.agents, addr)
	r.mu.Unlock()
}

// buildAgent assembles an agent from its registered state: model client,
// sandbox runner, tools and host. closer releases what it holds.
func (r *Run) buildAgent(st *agentState) (*actors.Agent, func(), error) {
	h := &host{run: r, st: st}
	mcfg := r.Spec.Model
	if rc, ok := r.Spec.RoleModels[st.role.Name]; ok {
		mcfg = rc
	}
	mcfg.OnRetry = func(attempt int, err error, wait time.Duration) {
		_, _ = r.record(r.ctx, st.addr, st.gen, messaging.ModelRetry{
			Turn: int(h.turn.Load()), Attempt: attempt, Error: err.Error(), WaitMS: wait.Milliseconds(),
		})
	}
	client, err := r.Spec.NewModel(mcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("model for %s: %w", st.addr, err)
	}
	var runner sandbox.Runner
	closer := func() {}
	if needsRunner(st.role) {
		runner, err = r.newRunner(st)
		if err != nil {
			return nil, nil, err
		}
		closer = func() { _ = runner.Close() }
	}
	cfg := actors.Config{
		Run: r.ID, Address: st.addr, Role: st.role, ModelName: mcfg.Model, Model: client,
		Worktree: st.wt.Path, Project: r.project, MaxTurns: cmp.Or(st.role.MaxTurns, r.Spec.MaxTurns),
		TestCommand: r.testCmd, Host: h, Gate: r.gate,
		ContextWindow: r.Spec.ContextWindow, AutoCompactTokens: r.Spec.AutoCompactTokens,
	}
	if len(st.lease) > 0 {
		cfg.WriteAllowed = func(path string) error { return r.leaseAllows(st, path) }
	}
	if runner != nil {
		cfg.Runner = runner
	}
	agent, err := actors.New(cfg)
	if err != nil {
		closer()
		return nil, nil, err
	}
	return agent, closer, nil
}

func needsRunner(role actors.Role) bool {
	return slices.Contains(role.Tools, actors.ToolShell) || slices.Contains(role.Tools, actors.ToolRunTests)
}

// newRunner builds the agent's sandbox: confined to its worktree and private
// area, or unconfined when the user chose --sandbox off.
func (r *Run) newRunner(st *agentState) (sandbox.Runner, error) {
	p := sandbox.AgentPolicy(st.wt.Path, st.private, r.Repo.CommonDir())
	p.WriteLease = leaseDirs(st.wt.Path, st.lease)
	if r.Spec.Sandbox == SandboxOff {
		p.Mode = sandbox.DangerFullAccess
	}
	runner, err := r.Spec.NewRunner(p)
	if err != nil {
		return nil, fmt.Errorf("sandbox for %s: %w (use --sandbox off to run commands unconfined)", st.addr, err)
	}
	return runner, nil
}

// host is what one agent may do outside its conversation; see actors.Host.
type host struct {
	run  *Run
	st   *agentState
	turn atomic.Int64
}

func (h *host) Record(ctx context.Context, ps ...messaging.Payload) error {
	for i, p := range ps {
		switch v := p.(type) {
		case messaging.TurnStarted:
			h.turn.Store(int64(v.Turn))
		case messaging.ModelTurn:
			m := v.Model
			if m == "" {
				m = h.run.Spec.Model.Model
			}
			v.CostUSD = h.run.prices.Cost(m, v.Usage.Input, v.Usage.CachedInput, v.Usage.Output)
			ps[i] = v
		case messaging.Compacted:
			m := v.Model
			if m == "" {
				m = h.run.Spec.Model.Model
			}
			v.CostUSD = h.run.prices.Cost(m, v.Usage.Input, v.Usage.CachedInput, v.Usage.Output)
			ps[i] = v
		}
	}
	if _, err := h.run.record(ctx, h.st.addr, h.st.gen, ps...); err != nil {
		return err
	}
	for _, p := range ps {
		switch v := p.(type) {
		case messaging.MessageDelivered:
			h.run.delivered(h.st.addr, v.Envelope.ID)
		case messaging.ModelTurn:
			h.run.mu.Lock()
			h.st.spent = h.st.spent.add(spend{usage: v.Usage, cost: v.CostUSD, turns: 1})
			h.run.mu.Unlock()
		case messaging.Compacted:
			h.run.mu.Lock()
			h.st.spent = h.st.spent.add(spend{usage: v.Usage, cost: v.CostUSD})
			h.run.mu.Unlock()
		}
	}
	return nil
}

func (h *host) Send(ctx context.Context, to messaging.Address, body messaging.Body) (messaging.Envelope, error) {
	return h.run.send(ctx, h.st, to, body)
}

func (h *host) Spawn(ctx context.Context, role, name, task, subtask string) (messaging.Address, error) {
	child, err := h.st.addr.Child(name)
	if err != nil {
		return messaging.Address{}, err
	}
	if _, err := h.run.spawn(ctx, h.st.pid, h.st.addr, child, role, task, subtask); err != nil {
		return messaging.Address{}, err
	}
	return child, nil
}

func (h *host) SubmitPlan(ctx context.Context, plan json.RawMessage) (string, error) {
	return h.run.submitPlan(ctx, h.st, plan)
}

func (h *host) Snapshot(ctx context.Context) error { return h.run.snapshot(ctx, h.st) }

func (h *host) CheckoutForTest(ctx context.Context, commit string) error {
	if err := h.run.Repo.Checkout(ctx, h.st.wt, commit); err != nil {
		return fmt.Errorf("check out %s for the test: %w", messaging.ShortCommit(commit), err)
	}
	return nil
}

func (h *host) FinishRun(ctx context.Context, rep messaging.Report) error {
	f := &messaging.RunFinished{Status: messaging.StatusSucceeded, Summary: rep.Summary}
	if rep.Status != "done" {
		f.Status = messaging.StatusFailed
		f.Error = fmt.Sprintf("/root reported %s: %s", rep.Status, rep.Summary)
	}
	h.run.finish(f)
	return nil
}

// Acquire waits until no budget above the agent forbids work, then for a
// working slot.
func (h *host) Acquire(ctx context.Context) (func(), error) {
	if err := h.run.waitBudget(ctx, h.st); err != nil {
		return nil, err
	}
	return h.run.acquire(ctx)
}

func (h *host) Approve(ctx context.Context, argv []string, reason string) (messaging.ApprovalDecided, error) {
	return h.run.approve(ctx, h.st, argv, reason)
}

// pendingFor returns messages sent to addr and not yet delivered.
func (r *Run) pendingFor(addr messaging.Address) []messaging.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]messaging.Envelope(nil), r.pending[addr]...)
}

func (r *Run) delivered(addr messaging.Address, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unpend(addr, id)
}

// unpend removes message id from addr's queue; r.mu is held (or the run is
// not shared yet, as while folding a journal).
func (r *Run) unpend(addr messaging.Address, id string) {
	list := r.pending[addr]
	for i, e := range list {
		if e.ID == id {
			r.pending[addr] = append(list[:i:i], list[i+1:]...)
			return
		}
	}
}

func (r *Run) warnAgent(addr messaging.Address, text string) {
	st, _ := r.agent(addr)
	gen := 0
	if st != nil {
		gen = st.gen
	}
	_, _ = r.record(r.ctx, addr, gen, messaging.Warning{Text: text})
}

// agentFailed journals an agent's failure and tells its parent with a
// failed report; a failed /root fails the run.
func (r *Run) agentFailed(addr messaging.Address, cause error) {
	st, ok := r.agent(addr)
	if !ok {
		return
	}
	r.mu.Lock()
	if st.failed || st.stopped || r.finished != nil {
		r.mu.Unlock()
		return
	}
	st.failed = true
	r.mu.Unlock()
	ctx := context.Background()
	_, _ = r.record(ctx, addr, st.gen, messaging.AgentFailed{Error: cause.Error()})
	r.mu.Lock()
	r.subtaskDone(addr, false)
	r.mu.Unlock()
	if addr.IsRoot() {
		r.finish(&messaging.RunFinished{Status: messaging.StatusFailed, Error: fmt.Sprintf("/root failed: %v", cause)})
		return
	}
	rep := messaging.Report{Status: "failed", Summary: fmt.Sprintf("%s failed: %v", addr, cause)}
	if _, err := r.send(ctx, st, st.parent, rep); err != nil {
		r.warnAgent(addr, fmt.Sprintf("could not tell %s that %s failed: %v", st.parent, addr, err))
	}
}

// panicked records a panic of an agent and returns how many it had within
// the restart window.
func (r *Run) panicked(addr messaging.Address) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.agents[addr]
	if !ok {
		return 0
	}
	now := time.Now()
	kept := st.panics[:0]
	for _, t := range st.panics {
		if now.Sub(t) < restartWindow {
			kept = append(kept, t)
		}
	}
	st.panics = append(kept, now)
	return len(st.panics)
}

func joinAddrs(as []messaging.Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
