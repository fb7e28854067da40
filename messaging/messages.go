package messaging

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Kind names a message type. Each kind is also the name of the tool a model
// calls to send it.
type Kind string

// The message kinds of a team.
const (
	KindAssign        Kind = "assign"
	KindReport        Kind = "report"
	KindTestRequest   Kind = "test_request"
	KindTestReport    Kind = "test_report"
	KindReviewRequest Kind = "review_request"
	KindReview        Kind = "review"
	KindAsk           Kind = "ask"
	KindAnswer        Kind = "answer"
)

// ErrUnknownKind is returned for a kind this version does not know.
var ErrUnknownKind = errors.New("unknown message kind")

// Body is the typed content of a message.
type Body interface{ Kind() Kind }

// Assign gives an agent a task.
type Assign struct {
	Task    string `json:"task"`
	Context string `json:"context,omitempty"`
}

// Report tells the parent how a task went. Branch and Commit are filled in
// by cadre from the agent's last snapshot, never by the model.
type Report struct {
	Status  string `json:"status"` // done | failed | blocked
	Summary string `json:"summary"`
	Branch  string `json:"branch,omitempty"`
	Commit  string `json:"commit,omitempty"`
}

// TestRequest asks a tester to test the combined work of Agents. Commit is
// the candidate cadre built for the test (their branches merged on the base).
type TestRequest struct {
	Agents []Address `json:"agents"`
	Note   string    `json:"note,omitempty"`
	Commit string    `json:"commit,omitempty"`
}

// TestReport is the outcome of a test run, taken from the real exit status.
type TestReport struct {
	Passed    bool      `json:"passed"`
	Command   []string  `json:"command"`
	ExitCode  int       `json:"exit_code"`
	Failed    []string  `json:"failed,omitempty"`
	Output    string    `json:"output,omitempty"`
	Commit    string    `json:"commit,omitempty"`
	Agents    []Address `json:"agents,omitempty"`
	Truncated bool      `json:"truncated,omitempty"`
}

// ReviewRequest asks a reviewer to review Agent's work. Commit, Base and
// Diff are attached by cadre.
type ReviewRequest struct {
	Agent  Address `json:"agent"`
	Note   string  `json:"note,omitempty"`
	Commit string  `json:"commit,omitempty"`
	Base   string  `json:"base,omitempty"`
	Diff   string  `json:"diff,omitempty"`
}

// Verdicts of a review.
const (
	VerdictApprove        = "approve"
	VerdictRequestChanges = "request_changes"
)

// Review is a reviewer's verdict. Commit (what was reviewed), Round and
// Merge are set by cadre.
type Review struct {
	Agent    Address   `json:"agent"`
	Verdict  string    `json:"verdict"`
	Summary  string    `json:"summary"`
	Comments []Comment `json:"comments,omitempty"`
	Commit   string    `json:"commit,omitempty"`
	Round    int       `json:"round,omitempty"`
	Merge    string    `json:"merge,omitempty"` // what cadre did with an approved commit
}

// Comment is one review remark, on a line when Line > 0.
type Comment struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"`
	Body string `json:"body"`
}

// Ask is a question to another agent.
type Ask struct {
	Question string `json:"question"`
}

// Answer replies to an Ask.
type Answer struct {
	InReplyTo string `json:"in_reply_to,omitempty"`
	Text      string `json:"text"`
}

func (Assign) Kind() Kind        { return KindAssign }
func (Report) Kind() Kind        { return KindReport }
func (TestRequest) Kind() Kind   { return KindTestRequest }
func (TestReport) Kind() Kind    { return KindTestReport }
func (ReviewRequest) Kind() Kind { return KindReviewRequest }
func (Review) Kind() Kind        { return KindReview }
func (Ask) Kind() Kind           { return KindAsk }
func (Answer) Kind() Kind        { return KindAnswer }

//go:embed schemas/*.json
var schemaFiles embed.FS

type kindInfo struct {
	schema *Schema
	new    func() Body
}

var kinds = map[Kind]kindInfo{}

func register(k Kind, newBody func() Body) {
	raw, err := schemaFiles.ReadFile("schemas/" + string(k) + ".json")
	if err != nil {
		panic(fmt.Sprintf("messaging: schema for %s: %v", k, err))
	}
	kinds[k] = kindInfo{schema: MustCompileSchema(string(k), raw), new: newBody}
}

func init() {
	register(KindAssign, func() Body { return &Assign{} })
	register(KindReport, func() Body { return &Report{} })
	register(KindTestRequest, func() Body { return &TestRequest{} })
	register(KindTestReport, func() Body { return &TestReport{} })
	register(KindReviewRequest, func() Body { return &ReviewRequest{} })
	register(KindReview, func() Body { return &Review{} })
	register(KindAsk, func() Body { return &Ask{} })
	register(KindAnswer, func() Body { return &Answer{} })
}

// Kinds lists every known kind, sorted.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// SchemaOf returns the JSON Schema of a kind: the parameters of the tool of
// the same name, and the check applied to what a model sends.
func SchemaOf(k Kind) (*Schema, error) {
	info, ok := kinds[k]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, k)
	}
	return info.schema, nil
}

// HasRecipient reports whether the kind's tool names its recipient in "to";
// the others go to an implied agent (the parent, or who asked).
func HasRecipient(k Kind) bool {
	switch k {
	case KindReport, KindReview, KindTestReport:
		return false
	}
	return true
}

// ParseToolCall validates a model's arguments for the tool of kind k against
// the kind's schema and decodes them. to is the "to" argument, "" for kinds
// without one. Errors wrap ErrInvalid and say what to fix.
func ParseToolCall(k Kind, args []byte) (body Body, to string, err error) {
	info, ok := kinds[k]
	if !ok {
		return nil, "", fmt.Errorf("%w %q", ErrUnknownKind, k)
	}
	if err := info.schema.Validate(args); err != nil {
		return nil, "", err
	}
	var head struct {
		To string `json:"to"`
	}
	if err := json.Unmarshal(args, &head); err != nil {
		return nil, "", fmt.Errorf("%w: %s: %v", ErrInvalid, k, err)
	}
	b := info.new()
	if err := json.Unmarshal(args, b); err != nil {
		return nil, "", fmt.Errorf("%w: %s: %v", ErrInvalid, k, err)
	}
	return deref(b), head.To, nil
}

// DecodeBody decodes a message body of kind k (as stored in an envelope).
func DecodeBody(k Kind, raw []byte) (Body, error) {
	info, ok := kinds[k]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, k)
	}
	b := info.new()
	if err := json.Unmarshal(raw, b); err != nil {
		return nil, fmt.Errorf("decode %s body: %w", k, err)
	}
	return deref(b), nil
}

func deref(b Body) Body {
	switch v := b.(type) {
	case *Assign:
		return *v
	case *Report:
		return *v
	case *TestRequest:
		return *v
	case *TestReport:
		return *v
	case *ReviewRequest:
		return *v
	case *Review:
		return *v
	case *Ask:
		return *v
	case *Answer:
		return *v
	}
	return b
}

// Envelope carries one message from one address to another.
type Envelope struct {
	ID   string  `json:"id"`
	Run  string  `json:"run"`
	From Address `json:"from"`
	To   Address `json:"to"`
	// Generation is the recipient's generation the message was sent to; a
	// recipient restarted since then drops it.
	Generation int `json:"generation"`
	// Seq counts the sender's messages in this run, from 1.
	Seq  uint64          `json:"seq"`
	Time time.Time       `json:"time"`
	Kind Kind            `json:"kind"`
	Body json.RawMessage `json:"body"`
}

// MessageID is the id of the seq-th message sent by from: deterministic, so a
// replayed send gets the same id and is delivered once.
func MessageID(from Address, seq uint64) string {
	return fmt.Sprintf("m-%s-%d", from.Slug(), seq)
}

// NewEnvelope builds an envelope for body.
func NewEnvelope(run string, from, to Address, gen int, seq uint64, at time.Time, body Body) (Envelope, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s body: %w", body.Kind(), err)
	}
	return Envelope{
		ID: MessageID(from, seq), Run: run, From: from, To: to, Generation: gen,
		Seq: seq, Time: at.UTC(), Kind: body.Kind(), Body: raw,
	}, nil
}

// Decode returns the typed body of the envelope.
func (e Envelope) Decode() (Body, error) { return DecodeBody(e.Kind, e.Body) }

// ShortCommit abbreviates a commit id to 12 characters for people.
func ShortCommit(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
