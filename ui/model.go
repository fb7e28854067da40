package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

// Agent statuses shown by the dashboard.
const (
	StatusThinking        = "thinking"
	StatusRunning         = "running"
	StatusWaitingApproval = "waiting_approval"
	StatusWaiting         = "waiting"
	StatusIdle            = "idle"
	StatusDone            = "done"
	StatusFailed          = "failed"
	StatusPaused          = "paused"
)

// Limits that bound the model's memory whatever the run's length.
const (
	maxFlow         = 2000 // message flow items kept
	maxEntries      = 200  // conversation entries kept per agent
	maxOutput       = 600  // bytes of a tool output kept
	maxText         = 2000 // bytes of model text or a message body kept
	maxActionLength = 120  // bytes of the one-line current action
)

// Header is the run's summary line.
type Header struct {
	Run          string
	Task         string
	Repo         string
	BaseBranch   string
	ResultBranch string
	Status       string // running | succeeded | failed | cancelled
	Working      int    // agents thinking, running or waiting for an approval
	Total        int
	Usage        messaging.Usage
	CostUSD      float64
	Started      time.Time
	Finished     time.Time // zero while running
	Warning      string    // the last warning
}

// AgentView is one agent as the tree shows it.
type AgentView struct {
	Address    messaging.Address
	Role       string
	Parent     messaging.Address
	Status     string
	Generation int
	Model      string
	Usage      messaging.Usage
	CostUSD    float64
	Started    time.Time
	Action     string // the current action, one line
	Files      []string
}

// FlowItem is one line of the message flow.
type FlowItem struct {
	Seq     uint64
	Time    time.Time
	From    string
	To      string
	Kind    string
	Summary string
}

// Approval is a pending approval request.
type Approval struct {
	ID      string
	Agent   messaging.Address
	Command []string
	Workdir string
	Reason  string
	Time    time.Time
}

// Entry kinds of an agent's conversation.
const (
	EntryText     = "text"
	EntryTool     = "tool"
	EntryResult   = "result"
	EntrySent     = "sent"
	EntryReceived = "received"
	EntryStatus   = "status"
	EntryApproval = "approval"
	EntrySnapshot = "snapshot"
)

// Entry is one step of an agent's conversation.
type Entry struct {
	Time  time.Time
	Kind  string
	Title string // one line
	Body  string // may span lines; already truncated
	Error bool
}

// AgentDetail is what the detail view shows of one agent.
type AgentDetail struct {
	Agent   AgentView
	Task    string
	Branch  string
	Entries []Entry
	Dropped int // entries dropped from the front to bound memory
}

// Snapshot is an immutable copy of the model for rendering.
type Snapshot struct {
	Version   uint64
	Seq       uint64 // seq of the last applied event
	Header    Header
	Agents    []AgentView // in tree order: a parent before its children
	Approvals []Approval  // oldest first
	Budgets   []BudgetView
}

// BudgetView is one subtree's budget and, once spent, what ran out.
type BudgetView struct {
	Address messaging.Address
	Budget  messaging.Budget
	Spent   string // "" until the budget is exhausted; cleared when raised
}

// Subtree sums the usage and cost of top and every agent under it, and
// counts them.
func (s Snapshot) Subtree(top messaging.Address) (u messaging.Usage, cost float64, agents int) {
	for _, a := range s.Agents {
		if a.Address.Within(top) {
			u, cost, agents = u.Add(a.Usage), cost+a.CostUSD, agents+1
		}
	}
	return u, cost, agents
}

type agentState struct {
	view       AgentView
	key        string // sort key giving tree order
	underlying string // status hidden behind "paused"
	paused     bool
	task       string
	branch     string
	entries    []Entry
	dropped    int
	calls      map[string]string // call id → action, for pending tool calls
}

// Model folds events into the dashboard's state. It is safe for concurrent
// use: one goroutine applies events while another takes snapshots.
type Model struct {
	// Prices returns the cost in USD of usage on model; nil means 0.
	// Set it before the first Apply.
	Prices func(model string, u messaging.Usage) float64

	mu        sync.Mutex
	version   uint64
	seq       uint64
	header    Header
	agents    map[messaging.Address]*agentState
	order     []*agentState
	approvals []Approval
	budgets   []BudgetView
	flow      []FlowItem // ring buffer of maxFlow
	flowStart int
}

// NewModel returns an empty model.
func NewModel(prices func(model string, u messaging.Usage) float64) *Model {
	return &Model{Prices: prices, agents: map[messaging.Address]*agentState{}}
}

// Version counts the changes applied; it grows with every Apply.
func (m *Model) Version() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version
}

// Seq is the journal sequence number of the last applied event.
func (m *Model) Seq() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq
}

// Snapshot returns a copy of the header, the agents in tree order and the
// pending approvals.
func (m *Model) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Snapshot{Version: m.version, Seq: m.seq, Header: m.header}
	s.Agents = make([]AgentView, len(m.order))
	working := 0
	for i, a := range m.order {
		s.Agents[i] = a.view
		switch a.view.Status {
		case StatusThinking, StatusRunning, StatusWaitingApproval:
			working++
		}
	}
	s.Header.Working, s.Header.Total = working, len(m.order)
	s.Approvals = append([]Approval(nil), m.approvals...)
	s.Budgets = append([]BudgetView(nil), m.budgets...)
	return s
}

// Flow returns up to limit of the newest flow items whose sender or
// recipient contains filter, oldest first.
func (m *Model) Flow(filter string, limit int) []FlowItem {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []FlowItem
	n := len(m.flow)
	for i := n - 1; i >= 0 && len(out) < limit; i-- {
		it := m.flow[(m.flowStart+i)%n]
		if filter == "" || strings.Contains(it.From, filter) || strings.Contains(it.To, filter) {
			out = append(out, it)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Detail returns a copy of one agent's conversation; ok is false for an
// unknown agent.
func (m *Model) Detail(addr messaging.Address) (AgentDetail, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.agents[addr]
	if !ok {
		return AgentDetail{}, false
	}
	d := AgentDetail{Agent: a.view, Task: a.task, Branch: a.branch, Dropped: a.dropped}
	d.Agent.Files = append([]string(nil), a.view.Files...)
	d.Entries = append([]Entry(nil), a.entries...)
	return d, true
}

// Apply folds one event into the model. Events of unknown types are
// ignored; an event whose payload does not decode is counted and skipped.
func (m *Model) Apply(ev messaging.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.version++
	if ev.Seq > m.seq {
		m.seq = ev.Seq
	}
	if m.header.Run == "" {
		m.header.Run = ev.Run
	}
	if m.header.Status == "suspended" && !ev.EndsStream() {
		m.header.Status = "running" // resumed
	}
	switch ev.Type {
	case messaging.EvRunStarted:
		var p messaging.RunStarted
		if decode(ev, &p) {
			m.header.Task, m.header.Repo = p.Task, p.Repo
			m.header.BaseBranch, m.header.ResultBranch = p.BaseBranch, p.ResultBranch
			m.header.Status, m.header.Started = "running", ev.Time
		}
	case messaging.EvRunFinished:
		var p messaging.RunFinished
		if decode(ev, &p) {
			m.header.Status, m.header.Finished = p.Status, ev.Time
			if p.ResultBranch != "" {
				m.header.ResultBranch = p.ResultBranch
			}
			if p.Error != "" {
				m.header.Warning = p.Error
			}
		}
	case messaging.EvRunSuspended:
		var p messaging.RunSuspended
		if decode(ev, &p) {
			m.header.Status = "suspended"
			m.header.Warning = strings.TrimSpace(p.Reason + ": " + p.Error)
		}
	case messaging.EvWarning:
		var p messaging.Warning
		if decode(ev, &p) {
			m.header.Warning = p.Text
		}
	case messaging.EvAgentStarted:
		var p messaging.AgentStarted
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			a.view.Role, a.view.Parent, a.view.Model = p.Role, p.Parent, p.Model
			a.view.Generation, a.view.Started = ev.Gen, ev.Time
			a.task, a.branch = p.Task, p.Branch
			m.setStatus(a, StatusIdle)
			a.view.Action = "started: " + oneLine(p.Task, maxActionLength)
			a.add(Entry{Time: ev.Time, Kind: EntryStatus, Title: fmt.Sprintf("started (gen %d) as %s", ev.Gen, p.Role), Body: clip(p.Task, maxText)})
		}
	case messaging.EvAgentIdle:
		var p messaging.AgentIdle
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			m.setStatus(a, StatusIdle)
			a.view.Action = "idle"
			if p.Reason != "" {
				a.view.Action += ": " + oneLine(p.Reason, maxActionLength)
			}
		}
	case messaging.EvAgentFinished:
		var p messaging.AgentFinished
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			m.setStatus(a, StatusDone)
			a.view.Action = "done: " + oneLine(p.Summary, maxActionLength)
			a.add(Entry{Time: ev.Time, Kind: EntryStatus, Title: "finished", Body: clip(p.Summary, maxText)})
		}
	case messaging.EvAgentFailed:
		var p messaging.AgentFailed
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			m.setStatus(a, StatusFailed)
			a.view.Action = "failed: " + oneLine(p.Error, maxActionLength)
			a.add(Entry{Time: ev.Time, Kind: EntryStatus, Title: "failed", Body: clip(p.Error, maxText), Error: true})
		}
	case messaging.EvTurnStarted:
		var p messaging.TurnStarted
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			m.setStatus(a, StatusThinking)
			a.view.Action = fmt.Sprintf("model turn %d", p.Turn)
		}
	case messaging.EvModelTurn:
		var p messaging.ModelTurn
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			model := p.Model
			if model == "" {
				model = a.view.Model
			} else {
				a.view.Model = model
			}
			a.view.Usage = a.view.Usage.Add(p.Usage)
			m.header.Usage = m.header.Usage.Add(p.Usage)
			// The journaled cost was priced with the run's table (and
			// its configured overrides); older events have none.
			c := p.CostUSD
			if c == 0 && m.Prices != nil {
				c = m.Prices(model, p.Usage)
			}
			a.view.CostUSD += c
			m.header.CostUSD += c
			title := fmt.Sprintf("turn %d · %d in / %d out", p.Turn, p.Usage.Input, p.Usage.Output)
			a.add(Entry{Time: ev.Time, Kind: EntryText, Title: title, Body: clip(p.Text, maxText)})
		}
	case messaging.EvCompacted:
		var p messaging.Compacted
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			c := p.CostUSD
			if c == 0 && m.Prices != nil {
				c = m.Prices(p.Model, p.Usage)
			}
			a.view.Usage = a.view.Usage.Add(p.Usage)
			m.header.Usage = m.header.Usage.Add(p.Usage)
			a.view.CostUSD += c
			m.header.CostUSD += c
			a.add(Entry{Time: ev.Time, Kind: EntryStatus, Title: fmt.Sprintf("compacted %d earlier turns", p.Turns), Body: clip(p.Summary, maxText)})
		}
	case messaging.EvModelRetry:
		var p messaging.ModelRetry
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			a.view.Action = fmt.Sprintf("retry %d of turn %d: %s", p.Attempt, p.Turn, oneLine(p.Error, maxActionLength))
		}
	case messaging.EvToolCall:
		var p messaging.ToolCallStarted
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			action := ToolAction(p.Name, p.Arguments)
			if p.Name == "shell" || p.Name == "run_tests" {
				m.setStatus(a, StatusRunning)
			}
			a.view.Action = action
			if a.calls == nil {
				a.calls = map[string]string{}
			}
			a.calls[p.CallID] = action
			a.add(Entry{Time: ev.Time, Kind: EntryTool, Title: action})
		}
	case messaging.EvToolResult:
		var p messaging.ToolResult
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			title := a.calls[p.CallID]
			delete(a.calls, p.CallID)
			if title == "" {
				title = p.Name
			}
			title = fmt.Sprintf("%s → %s in %dms", title, resultWord(p.IsError), p.DurationMS)
			if a.status() == StatusRunning {
				m.setStatus(a, StatusThinking)
			}
			if len(p.Changed) > 0 {
				a.view.Files = mergeFiles(a.view.Files, p.Changed)
			}
			a.add(Entry{Time: ev.Time, Kind: EntryResult, Title: title, Body: clip(p.Output, maxOutput), Error: p.IsError})
		}
	case messaging.EvWaiting:
		var p messaging.Waiting
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			m.setStatus(a, StatusWaiting)
			a.view.Action = "waiting for messages"
			if len(p.From) > 0 {
				a.view.Action += " from " + joinAddrs(p.From)
			}
		}
	case messaging.EvMessageSent:
		var p messaging.MessageSent
		if decode(ev, &p) {
			m.applyMessage(ev, p.Envelope)
		}
	case messaging.EvSnapshot:
		var p messaging.Snapshot
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			a.branch = p.Branch
			a.view.Files = mergeFiles(a.view.Files, p.Files)
			a.add(Entry{Time: ev.Time, Kind: EntrySnapshot, Title: fmt.Sprintf("snapshot %s on %s", short(p.Commit), p.Branch), Body: strings.Join(p.Files, "\n")})
		}
	case messaging.EvMerged:
		var p messaging.Merged
		if decode(ev, &p) {
			m.addFlow(ev, "cadre", p.Into, "merged", fmt.Sprintf("%s %s → %s", p.Agent, short(p.Commit), short(p.Result)))
		}
	case messaging.EvMergeFailed:
		var p messaging.MergeFailed
		if decode(ev, &p) {
			m.addFlow(ev, "cadre", p.Into, "merge_failed", fmt.Sprintf("%s %s: %s", p.Agent, short(p.Commit), oneLine(p.Error, 80)))
		}
	case messaging.EvControl:
		var p messaging.ControlReceived
		if decode(ev, &p) {
			c := p.Control
			to := c.Target.String()
			if to == "" {
				to = "run"
			}
			by := c.By
			if by == "" {
				by = "user"
			}
			sum := c.Text
			if c.ApprovalID != "" {
				sum = strings.TrimSpace(c.ApprovalID + " " + c.Text)
			}
			m.addFlow(ev, by, to, "control:"+c.Action, oneLine(sum, 200))
		}
	case messaging.EvBudgetSet, messaging.EvBudgetExhausted:
		var set messaging.BudgetSet
		var ex messaging.BudgetExhausted
		i := slices.IndexFunc(m.budgets, func(b BudgetView) bool { return b.Address == ev.Agent })
		if i < 0 {
			m.budgets = append(m.budgets, BudgetView{Address: ev.Agent})
			i = len(m.budgets) - 1
		}
		switch {
		case ev.Type == messaging.EvBudgetSet && decode(ev, &set):
			m.budgets[i].Budget, m.budgets[i].Spent = set.Budget, ""
		case ev.Type == messaging.EvBudgetExhausted && decode(ev, &ex):
			m.budgets[i].Budget, m.budgets[i].Spent = ex.Budget, ex.Spent
			m.header.Warning = fmt.Sprintf("budget of %s spent: %s", ev.Agent, ex.Spent)
		}
	case messaging.EvAgentPaused:
		var p messaging.AgentPaused
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			if !a.paused {
				a.paused, a.underlying = true, a.view.Status
			}
			a.view.Status = StatusPaused
			a.add(Entry{Time: ev.Time, Kind: EntryStatus, Title: "paused", Body: p.Reason})
		}
	case messaging.EvAgentResumed:
		var p messaging.AgentResumed
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			if a.paused {
				a.paused, a.view.Status = false, a.underlying
			}
			a.add(Entry{Time: ev.Time, Kind: EntryStatus, Title: "resumed", Body: p.Reason})
		}
	case messaging.EvApprovalRequested:
		var p messaging.ApprovalRequested
		if decode(ev, &p) {
			a := m.agent(ev.Agent, ev.Time)
			m.setStatus(a, StatusWaitingApproval)
			a.view.Action = "approval: " + oneLine(strings.Join(p.Command, " "), maxActionLength)
			m.approvals = append(m.approvals, Approval{ID: p.ID, Agent: ev.Agent, Command: p.Command, Workdir: p.Workdir, Reason: p.Reason, Time: ev.Time})
			a.add(Entry{Time: ev.Time, Kind: EntryApproval, Title: "asks approval " + p.ID + ": " + strings.Join(p.Command, " "), Body: p.Reason})
		}
	case messaging.EvApprovalDecided:
		var p messaging.ApprovalDecided
		if decode(ev, &p) {
			agent := ev.Agent
			for i, ap := range m.approvals {
				if ap.ID == p.ID {
					if agent.IsZero() {
						agent = ap.Agent
					}
					m.approvals = append(m.approvals[:i:i], m.approvals[i+1:]...)
					break
				}
			}
			if a, ok := m.agents[agent]; ok && !agent.IsZero() {
				word := "denied"
				if p.Approved {
					word = "approved"
				}
				if a.status() == StatusWaitingApproval {
					if p.Approved {
						m.setStatus(a, StatusRunning)
					} else {
						m.setStatus(a, StatusThinking)
					}
				}
				a.view.Action = "approval " + p.ID + " " + word
				a.add(Entry{Time: ev.Time, Kind: EntryApproval, Title: fmt.Sprintf("approval %s %s by %s", p.ID, word, p.By), Body: p.Reason, Error: !p.Approved})
			}
		}
	}
}

func (m *Model) applyMessage(ev messaging.Event, env messaging.Envelope) {
	sum, body := SummarizeMessage(env.Kind, env.Body)
	m.addFlow(ev, env.From.String(), env.To.String(), string(env.Kind), sum)
	if from, ok := m.agents[env.From]; ok {
		from.view.Action = fmt.Sprintf("send %s → %s", env.Kind, env.To)
		from.add(Entry{Time: ev.Time, Kind: EntrySent, Title: fmt.Sprintf("→ %s %s: %s", env.To, env.Kind, sum), Body: body})
	}
	if to, ok := m.agents[env.To]; ok && env.To != env.From {
		to.add(Entry{Time: ev.Time, Kind: EntryReceived, Title: fmt.Sprintf("← %s %s: %s", env.From, env.Kind, sum), Body: body})
	}
}

func (m *Model) addFlow(ev messaging.Event, from, to, kind, summary string) {
	it := FlowItem{Seq: ev.Seq, Time: ev.Time, From: from, To: to, Kind: kind, Summary: summary}
	if len(m.flow) < maxFlow {
		m.flow = append(m.flow, it)
		return
	}
	m.flow[m.flowStart] = it
	m.flowStart = (m.flowStart + 1) % maxFlow
}

// agent returns the state of addr, creating it (in tree order) when an
// event names an agent before its agent_started.
func (m *Model) agent(addr messaging.Address, at time.Time) *agentState {
	if a, ok := m.agents[addr]; ok {
		return a
	}
	a := &agentState{key: treeKey(addr)}
	a.view.Address, a.view.Status, a.view.Started = addr, StatusIdle, at
	if p, ok := addr.Parent(); ok {
		a.view.Parent = p
	}
	m.agents[addr] = a
	i := sort.Search(len(m.order), func(i int) bool { return m.order[i].key >= a.key })
	m.order = append(m.order, nil)
	copy(m.order[i+1:], m.order[i:])
	m.order[i] = a
	return a
}

// setStatus sets the agent's status, or the status hidden behind a pause.
func (m *Model) setStatus(a *agentState, s string) {
	if a.paused && s != StatusDone && s != StatusFailed {
		a.underlying = s
		return
	}
	a.paused = false
	a.view.Status = s
}

func (a *agentState) status() string {
	if a.paused {
		return a.underlying
	}
	return a.view.Status
}

func (a *agentState) add(e Entry) {
	if len(a.entries) >= maxEntries {
		n := maxEntries / 4
		a.entries = append(a.entries[:0], a.entries[n:]...)
		a.dropped += n
	}
	a.entries = append(a.entries, e)
}

// treeKey orders addresses so that a parent comes right before its subtree.
func treeKey(a messaging.Address) string {
	return strings.ReplaceAll(a.String(), "/", "\x00")
}

func decode(ev messaging.Event, p messaging.Payload) bool {
	return json.Unmarshal(ev.Data, p) == nil
}

func resultWord(isErr bool) string {
	if isErr {
		return "error"
	}
	return "ok"
}

func mergeFiles(have, add []string) []string {
	for _, f := range add {
		found := false
		for _, h := range have {
			if h == f {
				found = true
				break
			}
		}
		if !found {
			have = append(have, f)
		}
	}
	return have
}

func joinAddrs(as []messaging.Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}
