package scripted

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ModelID is the only model /v1/models lists.
const ModelID = "cadre-scripted"

// Wire names used in [Served].
const (
	WireChat      = "chat"
	WireResponses = "responses"
)

// Served is one request the server answered, for tests.
type Served struct {
	// Agent is the address the request came from (or the script key when
	// the request named only a role).
	Agent string
	// Key is the script key that was played ("" if none matched).
	Key string
	// Turn is the turn index read from the request (-1 if unparsable):
	// the assistant turns it holds plus those a compaction header counts.
	Turn int
	// Purpose is the X-Cadre-Purpose header: "" for a turn, "compact" for
	// a summary request.
	Purpose string
	Wire    string
	Stream  bool
	// Fault is the fault kind served instead of the turn, "" if none.
	Fault string
	// Status is the HTTP status sent.
	Status int
	// Error is the message of an error answer ("" for a played turn).
	Error      string
	Start, End time.Time
}

// Option configures a [Server].
type Option func(*Server)

// WithClock sets the clock used for "created" fields and the log (golden
// tests pin it).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLog makes the server write one line per request to w.
func WithLog(w io.Writer) Option { return func(s *Server) { s.logw = w } }

// Server plays a [Script] over the OpenAI HTTP APIs. It is an http.Handler.
// Turn selection is stateless (derived from the request); the only state is
// the fault counters, the random-fault RNG and the request log.
type Server struct {
	script *Script
	now    func() time.Time
	logw   io.Writer

	mu     sync.Mutex
	served map[faultKey]int // scripted faults already served
	rng    *rand.Rand
	log    []Served

	httpSrv *http.Server
	ln      net.Listener
}

type faultKey struct {
	agent string
	turn  int
}

// NewServer returns a server that plays s.
func NewServer(s *Script, opts ...Option) *Server {
	srv := &Server{script: s, now: time.Now, served: map[faultKey]int{}}
	if s.Faults != nil {
		srv.rng = rand.New(rand.NewPCG(s.Faults.Seed, 0x5c21b7ed))
	}
	for _, o := range opts {
		o(srv)
	}
	return srv
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
// It returns the base URL to give a client, ending in "/v1".
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("scripted: listen %s: %w", addr, err)
	}
	s.ln = ln
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.httpSrv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/v1", nil
}

// Close stops a server started with Start, cutting open connections. It is
// idempotent.
func (s *Server) Close() {
	if s.httpSrv != nil {
		_ = s.httpSrv.Close()
	}
}

// Log returns a copy of the requests served so far, in completion order.
func (s *Server) Log() []Served {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Served(nil), s.log...)
}

// ListenAndServe plays script on addr until ctx is done, writing a line per
// request to logw (may be nil). It backs `cadre model-server`.
func ListenAndServe(ctx context.Context, addr string, script *Script, logw io.Writer) error {
	srv := NewServer(script, WithLog(logw))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("scripted: listen %s: %w", addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	if logw != nil {
		fmt.Fprintf(logw, "scripted model server playing %d agent scripts at http://%s/v1\n", len(script.Agents), ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("scripted: serve: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			_ = hs.Close()
		}
		<-errc
		return nil
	}
}

// ServeHTTP routes the OpenAI endpoints; a leading /v1 is optional.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v1")
	switch {
	case path == "/models" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, modelsBody())
	case path == "/chat/completions" && r.Method == http.MethodPost:
		s.serveTurn(w, r, WireChat)
	case path == "/responses" && r.Method == http.MethodPost:
		s.serveTurn(w, r, WireResponses)
	case path == "/models", path == "/chat/completions", path == "/responses":
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", fmt.Sprintf("scripted server: method %s not allowed on %s", r.Method, r.URL.Path))
	default:
		writeError(w, http.StatusNotFound, "invalid_request_error", fmt.Sprintf("scripted server: no endpoint %s %s", r.Method, r.URL.Path))
	}
}

func (s *Server) serveTurn(w http.ResponseWriter, r *http.Request, wire string) {
	start := s.now()
	entry := &Served{Wire: wire, Start: start, Turn: -1}
	// commit records the entry; it runs before the last byte of an answer
	// is written so that a client that has its answer finds it in Log.
	var once sync.Once
	commit := func() {
		once.Do(func() {
			entry.End = s.now()
			s.mu.Lock()
			s.log = append(s.log, *entry)
			s.mu.Unlock()
			s.writeLog(*entry)
		})
	}
	defer commit()

	fail := func(status int, body apiError) {
		entry.Status, entry.Error = status, body.Error.Message
		commit()
		writeJSON(w, status, body)
	}
	invalid := func(msg string) { fail(http.StatusBadRequest, errorBody("invalid_request_error", msg)) }
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		invalid("scripted server: reading the request body: " + err.Error())
		return
	}
	req, err := parseRequest(wire, body)
	if err != nil {
		invalid("scripted server: " + err.Error())
		return
	}
	entry.Stream = req.Stream
	entry.Turn = req.turnIndex
	entry.Purpose = r.Header.Get("X-Cadre-Purpose")

	who := identify(r.Header, req.system)
	key, turns, ok := s.lookup(who)
	entry.Agent = who.name(key)
	entry.Key = key
	if cw, tokens := s.script.ContextWindow, req.inputBytes/4; cw > 0 && tokens > cw {
		fail(http.StatusBadRequest, contextLengthError(cw, tokens))
		return
	}
	if entry.Purpose == PurposeCompact {
		s.play(w, r, entry, commit, fail, req, Turn{Text: req.compactSummary()}, false)
		return
	}
	if !ok {
		invalid("scripted server: no script for " + who.describe())
		return
	}
	if req.turnIndex >= len(turns) {
		invalid(fmt.Sprintf("scripted server: no turn %d for %s (script has %d)", req.turnIndex, entry.Agent, len(turns)))
		return
	}
	s.play(w, r, entry, commit, fail, req, turns[req.turnIndex], true)
}

// play answers with t after its delay and faults; isTurn says whether t
// is the agent's scripted turn (whose own fault applies) or a compaction
// summary (only random faults apply).
func (s *Server) play(w http.ResponseWriter, r *http.Request, entry *Served, commit func(), fail func(int, apiError), req request, t Turn, isTurn bool) {
	if t.DelayMS > 0 {
		timer := time.NewTimer(time.Duration(t.DelayMS) * time.Millisecond)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			entry.Status = 499 // client closed the request
			return
		}
	}
	own := t
	if !isTurn {
		own.Fault = nil
	}
	fault, retryAfter := s.pickFault(entry.Agent, req.turnIndex, own)
	entry.Fault = fault
	id := answerID(entry.Agent, req.turnIndex)
	if !isTurn {
		id += "_" + PurposeCompact
	}
	ans := answer{
		id:       id,
		model:    req.Model,
		created:  s.now().Unix(),
		turn:     t,
		stopOnTC: t.FinishReasonStop || s.script.FinishReasonStop,
		usage:    req.usage(t),
		cut:      fault == FaultCut,
	}
	switch fault {
	case FaultHTTP500:
		fail(http.StatusInternalServerError, errorBody("server_error",
			fmt.Sprintf("scripted server: injected http_500 for %s turn %d", entry.Agent, req.turnIndex)))
		return
	case FaultHTTP429:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		fail(http.StatusTooManyRequests, errorBody("rate_limit_error",
			fmt.Sprintf("scripted server: injected http_429 for %s turn %d", entry.Agent, req.turnIndex)))
		return
	}
	entry.Status = http.StatusOK
	switch {
	case entry.Wire == WireChat && req.Stream:
		streamEvents(w, chatStream(ans, req.includeUsage), ans.cut, commit)
	case entry.Wire == WireChat:
		commit()
		writeMaybeCut(w, chatCompletion(ans), ans.cut)
	case req.Stream:
		streamEvents(w, responsesStream(ans), ans.cut, commit)
	default:
		commit()
		writeMaybeCut(w, responseObject(ans, "completed"), ans.cut)
	}
}

func (s *Server) writeLog(e Served) {
	if s.logw == nil {
		return
	}
	fault := e.Fault
	if fault == "" {
		fault = "-"
	}
	line := fmt.Sprintf("%s %s stream=%t agent=%s turn=%d status=%d fault=%s %s",
		e.Start.Format(time.RFC3339Nano), e.Wire, e.Stream, e.Agent, e.Turn, e.Status, fault, e.End.Sub(e.Start))
	if e.Error != "" {
		line += fmt.Sprintf(" error=%q", e.Error)
	}
	_, _ = io.WriteString(s.logw, line+"\n")
}

// pickFault decides whether this request gets a fault instead of its turn:
// first the random faults, then the turn's own (counted) fault.
func (s *Server) pickFault(agent string, turn int, t Turn) (kind string, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.script.Faults; f != nil && f.Rate > 0 && s.rng.Float64() < f.Rate {
		return f.Kinds[s.rng.IntN(len(f.Kinds))], f.RetryAfterS
	}
	if t.Fault == nil {
		return "", 0
	}
	k := faultKey{agent, turn}
	if s.served[k] >= t.Fault.Times {
		return "", 0
	}
	s.served[k]++
	ra := t.Fault.RetryAfterS
	if ra == 0 && s.script.Faults != nil {
		ra = s.script.Faults.RetryAfterS
	}
	return t.Fault.Kind, ra
}

// caller is who a request says it comes from.
type caller struct {
	address string // "/root/coder_a", may be empty
	role    string // "tester", may be empty
	fromHdr bool
}

var (
	addressLineRE = regexp.MustCompile(`(?m)^\s*address:\s*(/root(?:/[a-z][a-z0-9_]{0,31})*)\s*$`)
	roleLineRE    = regexp.MustCompile(`(?m)^\s*role:\s*([a-z][a-z0-9_-]{0,63})\s*$`)
)

// identify reads X-Cadre-Agent / X-Cadre-Role, or, without those headers,
// the "address:" and "role:" lines of the system text.
func identify(h http.Header, system string) caller {
	c := caller{address: h.Get("X-Cadre-Agent"), role: h.Get("X-Cadre-Role")}
	if c.address != "" || c.role != "" {
		c.fromHdr = true
		return c
	}
	if m := addressLineRE.FindStringSubmatch(system); m != nil {
		c.address = m[1]
	}
	if m := roleLineRE.FindStringSubmatch(system); m != nil {
		c.role = m[1]
	}
	return c
}

func (c caller) name(key string) string {
	switch {
	case c.address != "":
		return c.address
	case key != "":
		return key
	case c.role != "":
		return "role:" + c.role
	}
	return ""
}

func (c caller) describe() string {
	var parts []string
	if c.address != "" {
		parts = append(parts, "agent "+c.address)
	}
	if c.role != "" {
		parts = append(parts, "role:"+c.role)
	}
	if len(parts) == 0 {
		return "an unidentified caller (send X-Cadre-Agent / X-Cadre-Role, or put \"address: /root/...\" and \"role: NAME\" lines in the instructions)"
	}
	return strings.Join(parts, " / ")
}

// lookup finds the script of the caller: exact address, then role.
func (s *Server) lookup(c caller) (string, []Turn, bool) {
	if c.address != "" {
		if t, ok := s.script.Agents[c.address]; ok {
			return c.address, t, true
		}
	}
	if c.role != "" {
		k := "role:" + c.role
		if t, ok := s.script.Agents[k]; ok {
			return k, t, true
		}
	}
	return "", nil, false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, errorBody(typ, msg))
}

// writeMaybeCut writes a JSON body, or for a cut fault only its first half
// before aborting the connection.
func writeMaybeCut(w http.ResponseWriter, v any, cut bool) {
	if !cut {
		writeJSON(w, http.StatusOK, v)
		return
	}
	data, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data[:len(data)/2])
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	panic(http.ErrAbortHandler)
}

// sseEvent is one server-sent event; an empty name writes only data.
type sseEvent struct {
	name string
	data []byte
}

// streamEvents writes the events as SSE, flushing each. A cut stream stops
// after about half of them, before the terminal event, and ends the response
// as if the server had gone away. beforeLast runs before the terminal event
// is written.
func streamEvents(w http.ResponseWriter, evs []sseEvent, cut bool, beforeLast func()) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	n := len(evs)
	if cut {
		n = max(1, (len(evs)-1)/2)
	}
	for i, ev := range evs[:n] {
		if i == len(evs)-1 {
			beforeLast()
		}
		if _, err := w.Write(formatEvent(ev)); err != nil {
			return
		}
		if f != nil {
			f.Flush()
		}
	}
}

func formatEvent(ev sseEvent) []byte {
	var b []byte
	if ev.name != "" {
		b = append(b, "event: "...)
		b = append(b, ev.name...)
		b = append(b, '\n')
	}
	b = append(b, "data: "...)
	b = append(b, ev.data...)
	return append(b, "\n\n"...)
}

// errNoBody is returned when a request has no JSON body.
var errNoBody = errors.New("request body is empty")
