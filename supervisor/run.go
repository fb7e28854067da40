package supervisor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/cadre-dev/cadre/actors"
	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox"
	"github.com/cadre-dev/cadre/sandbox/execpolicy"
	"github.com/cadre-dev/cadre/supervisor/plan"
	"github.com/cadre-dev/cadre/worktree"
)

// SandboxMode says how agents' commands are confined.
type SandboxMode string

// Sandbox modes.
const (
	SandboxOn  SandboxMode = "workspace-write" // confined (default); refuses to run if it cannot be enforced
	SandboxOff SandboxMode = "off"             // unconfined, chosen explicitly, warned about on every run
)

// RunSpec is what a run is asked to do.
type RunSpec struct {
	Repo string
	Task string
	Base string // revision to start from; default HEAD
	// Model is the model client configuration every agent uses; the
	// supervisor adds its own retry observer per agent.
	Model model.Config
	// NewModel builds a client; nil means model.New. Tests use it to count.
	NewModel func(model.Config) (model.Client, error)
	// NewRunner builds an agent's command runner from its policy; nil means
	// sandbox.New. Tests use it to put a faulty runner under a tool.
	NewRunner       func(sandbox.Policy) (sandbox.Runner, error)
	MaxWorking      int // agents working at once (model turn or command); default 4
	MaxTurns        int // per agent; default 60
	MaxReviewRounds int // request_changes rounds before the planner decides; default 3
	MaxAgents       int // agents in the run; default 16
	Sandbox         SandboxMode
	TestCommand     []string // default: detected from the repository
	RootRole        string   // default planner
	Team            string   // the team template's name, journaled (default "default")
	// Rules are the exec-policy rules (nil: the shipped defaults) and
	// ApprovalPolicy says when a person is asked (default on-request).
	Rules          *execpolicy.Policy
	ApprovalPolicy string
	// Interactive is true when a person can answer approval requests
	// (cadre run); in cadre exec commands that need approval are denied.
	Interactive bool
	// Budgets bound subtrees: the key is the subtree's top address. They
	// are journaled when the run starts; a resumed run keeps its journal's.
	Budgets map[messaging.Address]messaging.Budget
	// Roles are the roles agents may have (nil: actors.BuiltinRoles).
	Roles actors.Roles
	// Prices override or extend model.DefaultPrices for this run's costs.
	Prices map[string]model.Price
	// RoleModels are the model clients of roles that use another model or
	// provider than Model (config roles.<name>.model).
	RoleModels map[string]model.Config
	// SkipMergeTests merges approved work without running the test
	// command on the merged tree first.
	SkipMergeTests bool
	// ContextWindow is the model's window in tokens (0: unknown) and
	// AutoCompactTokens the conversation size that triggers compaction.
	ContextWindow, AutoCompactTokens int
}

// Sentinel errors of Start.
var (
	ErrNoTask  = errors.New("no task given")
	ErrBadRepo = errors.New("bad repository")
)

// Run is one task given to one team.
type Run struct {
	ID     string
	Repo   *worktree.Repo
	Spec   RunSpec
	Base   string
	Result string // result branch

	sup       *Supervisor
	ctx       context.Context
	cancelCtx context.CancelFunc
	slots     chan struct{}
	testCmd   []string
	project   string
	pid       *actor.PID
	done      chan struct{}

	mu        sync.Mutex
	agents    map[messaging.Address]*agentState
	seq       map[messaging.Address]uint64 // messages sent per address
	pending   map[messaging.Address][]messaging.Envelope
	reviews   map[messaging.Address]reviewState
	finished  *messaging.RunFinished
	suspended bool
	// suspendErr is why the run suspended itself (nil: the user suspended it).
	suspendErr error
	finishCh   chan struct{}
	outcome    Outcome
	warnings   []string
	gate       *actors.Gate
	budget     budgets
	queue      mergeQueue
	schedule   *plan.Schedule  // nil until the planner submits a plan
	forecasts  map[string]bool // conflicts already forecast
	// openMerge is a merge a kill interrupted, found while resuming.
	openMerge *messaging.MergeStarted
	// resolutions are the conflicts resolvers work on, by resolver.
	resolutions map[messaging.Address]resolution
	// verifyMerges runs the test command on every merged tree.
	verifyMerges bool
	prices       model.Prices

	approvalSeq int
	approvals   map[string]*pendingApproval
	// preload holds, right after a resume, each agent's journal events, so
	// that its first start needs no second read of the journal.
	preload map[messaging.Address][]messaging.Event
}

// Outcome is how a run ended.
type Outcome struct {
	Status       string
	Summary      string
	ResultBranch string
	ResultCommit string
	Err          error
}

type agentState struct {
	addr     messaging.Address
	role     actors.Role
	parent   messaging.Address
	task     string
	gen      int
	freshGen int // generation of the latest fresh start: older messages are stale
	panics   []time.Time
	wt       *worktree.Worktree
	private  string
	pid      *actor.PID
	lastSnap string
	failed   bool
	stopped  bool
	subtask  string    // the plan subtask it works on ("" if none)
	lease    []string  // the globs it may write (nil: its whole worktree)
	spent    spend     // model usage so far, for accounting and budgets
	started  time.Time // first start, for wall-time budgets
}

type reviewState struct {
	requester messaging.Address
	commit    string
	rounds    int
}

// newRun builds the in-memory state of a run (started or resumed).
func (s *Supervisor) newRun(id string, repo *worktree.Repo, spec RunSpec, base string) (*Run, error) {
	defaults(&spec)
	r := &Run{
		ID: id, Repo: repo, Spec: spec, Base: base, Result: "cadre/" + id + "/result",
		sup: s, slots: make(chan struct{}, spec.MaxWorking), done: make(chan struct{}), finishCh: make(chan struct{}),
		agents: map[messaging.Address]*agentState{}, seq: map[messaging.Address]uint64{},
		pending: map[messaging.Address][]messaging.Envelope{}, reviews: map[messaging.Address]reviewState{},
		approvals: map[string]*pendingApproval{}, budget: newBudgets(),
		prices: model.DefaultPrices.With(spec.Prices),
	}
	r.budget.sessionStart = s.now()
	r.verifyMerges = !spec.SkipMergeTests
	var err error
	if r.gate, err = actors.NewGate(spec.Rules, spec.ApprovalPolicy); err != nil {
		return nil, err
	}
	r.testCmd = spec.TestCommand
	if len(r.testCmd) == 0 {
		r.testCmd = DetectTestCommand(repo.Root())
	}
	if b, err := os.ReadFile(filepath.Join(repo.Root(), "AGENTS.md")); err == nil {
		r.project = string(b)
	}
	return r, nil
}

// Start validates the repository, journals the run and spawns its lead.
// It returns once /root is running; Wait blocks until the run ends.
func (s *Supervisor) Start(ctx context.Context, spec RunSpec) (*Run, error) {
	if strings.TrimSpace(spec.Task) == "" {
		return nil, ErrNoTask
	}
	if spec.Repo == "" {
		spec.Repo = "."
	}
	repo, err := worktree.Open(ctx, spec.Repo)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrBadRepo, spec.Repo, err)
	}
	defaults(&spec)
	baseRev := spec.Base
	if baseRev == "" {
		baseRev = "HEAD"
	}
	base, err := repo.ResolveCommit(ctx, baseRev)
	if err != nil {
		return nil, fmt.Errorf("%w %s: base %s: %w", ErrBadRepo, repo.Root(), baseRev, err)
	}
	_, baseBranch, _ := repo.Head(ctx)
	id := messaging.NewRunID(s.now())
	r, err := s.newRun(id, repo, spec, base)
	if err != nil {
		return nil, err
	}
	if err := s.db.SetOwnerRun(id); err != nil {
		return nil, err
	}
	r.ctx, r.cancelCtx = context.WithCancel(context.Background())
	spec = r.Spec
	if _, err := r.record(ctx, messaging.Address{}, 0, messaging.RunStarted{
		Task: spec.Task, Repo: repo.Root(), BaseBranch: baseBranch, BaseCommit: base,
		ResultBranch: r.Result, Team: cmp.Or(spec.Team, "default"), Version: messaging.Version,
	}); err != nil {
		return nil, err
	}
	for _, a := range slices.SortedFunc(maps.Keys(spec.Budgets), func(a, b messaging.Address) int { return strings.Compare(a.String(), b.String()) }) {
		if err := r.setBudget(ctx, a, spec.Budgets[a], "config"); err != nil {
			return nil, r.abort(ctx, err)
		}
	}
	r.warnSandboxOff(ctx)
	if dirty, files, err := repo.Dirty(ctx); err == nil && dirty {
		r.warn(ctx, fmt.Sprintf("your working tree has %d uncommitted change(s); cadre leaves them untouched and starts from commit %s", len(files), messaging.ShortCommit(base)))
	}
	if err := repo.CreateBranch(ctx, r.Result, base); err != nil {
		return nil, r.abort(ctx, fmt.Errorf("create result branch: %w", err))
	}
	if err := r.startRunActor(ctx); err != nil {
		return nil, err
	}
	role := spec.RootRole
	if _, err := r.spawn(ctx, r.pid, messaging.Address{}, messaging.Root, role, spec.Task, ""); err != nil {
		return nil, r.abort(ctx, err)
	}
	go r.finishWhenDone()
	return r, nil
}

func defaults(spec *RunSpec) {
	if spec.MaxWorking <= 0 {
		spec.MaxWorking = 4
	}
	if spec.MaxTurns <= 0 {
		spec.MaxTurns = 60
	}
	if spec.MaxReviewRounds <= 0 {
		spec.MaxReviewRounds = 3
	}
	if spec.MaxAgents <= 0 {
		spec.MaxAgents = 16
	}
	if spec.Sandbox == "" {
		spec.Sandbox = SandboxOn
	}
	if spec.RootRole == "" {
		spec.RootRole = "planner"
	}
	if spec.NewRunner == nil {
		spec.NewRunner = func(p sandbox.Policy) (sandbox.Runner, error) { return sandbox.New(p) }
	}
	if spec.NewModel == nil {
		spec.NewModel = model.New
	}
}

// warnSandboxOff says, on every run, that commands are not confined when
// the user chose --sandbox off.
func (r *Run) warnSandboxOff(ctx context.Context) {
	if r.Spec.Sandbox == SandboxOff {
		r.warn(ctx, "sandbox is off (--sandbox off): agents' commands run unconfined, with your user's rights, files and network")
	}
}

// startRunActor registers the run and spawns its actor, which supervises
// /root (agent actors supervise their own children).
func (r *Run) startRunActor(ctx context.Context) error {
	s := r.sup
	s.mu.Lock()
	s.runs[r.ID] = r
	s.mu.Unlock()
	pid, err := s.system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &runActor{run: r} },
		actor.WithSupervisor(agentStrategy())), r.ID)
	if err != nil {
		return r.abort(ctx, fmt.Errorf("spawn run actor: %w", err))
	}
	r.pid = pid
	return nil
}

func (r *Run) warn(ctx context.Context, text string) {
	r.warnings = append(r.warnings, text)
	_, _ = r.record(ctx, messaging.Address{}, 0, messaging.Warning{Text: text})
}

// abort ends a run that could not start: it is journaled as failed.
func (r *Run) abort(ctx context.Context, err error) error {
	if r.pid != nil {
		_ = r.sup.system.Root.StopFuture(r.pid).Wait()
	}
	r.removeWorktrees(ctx)
	_, _ = r.record(ctx, messaging.Address{}, 0, messaging.RunFinished{Status: messaging.StatusFailed, Error: err.Error()})
	r.sup.mu.Lock()
	delete(r.sup.runs, r.ID)
	r.sup.mu.Unlock()
	close(r.done)
	return err
}

func (r *Run) record(ctx context.Context, agent messaging.Address, gen int, ps ...messaging.Payload) ([]messaging.Event, error) {
	now := r.sup.now()
	evs := make([]messaging.Event, len(ps))
	for i, p := range ps {
		evs[i] = messaging.NewEvent(r.ID, agent, gen, now, p)
	}
	return r.sup.record(ctx, evs...)
}

// Wait blocks until the run has ended and returns how.
func (r *Run) Wait() Outcome {
	<-r.done
	return r.outcome
}

// Done is closed when the run has ended.
func (r *Run) Done() <-chan struct{} { return r.done }

// Cancel ends the run as cancelled; work merged so far stays on the result
// branch.
func (r *Run) Cancel() {
	r.finish(&messaging.RunFinished{Status: messaging.StatusCancelled, Summary: "cancelled"})
}

// Suspend stops the run's agents without ending the run: nothing more is
// journaled, worktrees stay, and the run can be resumed (cadre resume),
// exactly as after a crash. It returns once every actor has stopped.
func (r *Run) Suspend() {
	r.mu.Lock()
	if r.finished != nil {
		r.mu.Unlock()
		<-r.done
		return
	}
	r.finished = &messaging.RunFinished{Status: StatusInterrupted}
	r.suspended = true
	r.mu.Unlock()
	_, _ = r.record(context.Background(), messaging.Address{}, 0, messaging.RunSuspended{Reason: "stopped by the user"})
	close(r.finishCh)
	<-r.done
}

// suspendFor stops the run without finishing it because of err (its model
// provider kept failing): the journal says so with run_suspended, the run
// is left interrupted, and `cadre resume` continues it. It does not wait
// for the run to stop (an agent's actor calls it).
func (r *Run) suspendFor(reason string, err error) {
	r.mu.Lock()
	if r.finished != nil {
		r.mu.Unlock()
		return
	}
	r.finished = &messaging.RunFinished{Status: StatusInterrupted}
	r.suspended = true
	r.suspendErr = fmt.Errorf("%s: %w; resume it with: cadre resume %s", reason, err, r.ID)
	r.mu.Unlock()
	_, _ = r.record(context.Background(), messaging.Address{}, 0, messaging.RunSuspended{Reason: reason, Error: err.Error()})
	close(r.finishCh)
}

// finish sets how the run ends; the first call wins.
func (r *Run) finish(f *messaging.RunFinished) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished != nil {
		return
	}
	r.finished = f
	close(r.finishCh)
}

func (r *Run) finishWhenDone() {
	<-r.finishCh
	ctx := context.Background()
	r.cancelCtx()
	_ = r.sup.system.Root.StopFuture(r.pid).Wait()
	r.mu.Lock()
	f := *r.finished
	suspended := r.suspended
	r.mu.Unlock()
	if suspended {
		r.outcome = Outcome{Status: StatusInterrupted, ResultBranch: r.Result, Err: r.suspendErr}
		_ = r.sup.db.SetRunStatus(r.ID, StatusInterrupted)
		r.sup.mu.Lock()
		delete(r.sup.runs, r.ID)
		r.sup.mu.Unlock()
		close(r.done)
		return
	}
	r.removeWorktrees(ctx)
	for _, st := range r.liveAgents() {
		_, _ = r.record(ctx, st.addr, st.gen, messaging.AgentFinished{Summary: "the run " + f.Status})
	}
	if f.Status != messaging.StatusFailed || f.ResultCommit == "" {
		if c, err := r.Repo.ResolveCommit(ctx, r.Result); err == nil {
			f.ResultCommit = c
		}
	}
	f.ResultBranch = r.Result
	_, err := r.record(ctx, messaging.Address{}, 0, f)
	r.outcome = Outcome{Status: f.Status, Summary: f.Summary, ResultBranch: f.ResultBranch, ResultCommit: f.ResultCommit}
	if f.Status == messaging.StatusFailed {
		r.outcome.Err = errors.New(f.Error)
	}
	if err != nil && r.outcome.Err == nil {
		r.outcome.Err = err
	}
	r.sup.mu.Lock()
	delete(r.sup.runs, r.ID)
	r.sup.mu.Unlock()
	close(r.done)
}

// liveAgents are the agents that did not fail, in address order.
func (r *Run) liveAgents() []*agentState {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*agentState
	for _, st := range r.agents {
		if !st.failed {
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr.String() < out[j].addr.String() })
	return out
}

// removeWorktrees removes every agent's worktree; branches stay.
func (r *Run) removeWorktrees(ctx context.Context) {
	r.mu.Lock()
	var dirs []string
	for _, a := range r.agents {
		if a.wt != nil {
			dirs = append(dirs, a.wt.Path)
		}
	}
	r.mu.Unlock()
	r.queue.close()
	if r.queue.wt != nil {
		dirs = append(dirs, r.queue.wt.Path)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		if err := r.Repo.Remove(ctx, d); err != nil {
			r.warn(ctx, fmt.Sprintf("remove worktree %s: %v", d, err))
		}
	}
}

// Agents lists the run's addresses, sorted.
func (r *Run) Agents() []messaging.Address {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]messaging.Address, 0, len(r.agents))
	for a := range r.agents {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// nextSeq numbers a sender's messages.
func (r *Run) nextSeq(from messaging.Address) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq[from]++
	return r.seq[from]
}

func (r *Run) agent(addr messaging.Address) (*agentState, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.agents[addr]
	return a, ok
}

func (r *Run) acquire(ctx context.Context) (func(), error) {
	select {
	case r.slots <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-r.slots }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
