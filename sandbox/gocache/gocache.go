package gocache

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// ArgMarker is the first argument with which the cadre binary runs [Main]:
// `cadre ArgMarker <lower> <upper>`.
const ArgMarker = "__cadre_gocacheprog"

// maxConcurrentGets bounds how many "get" requests are looked up at once.
const maxConcurrentGets = 8

// Env returns the environment entries that make the go command use this
// cache program: GOCACHEPROG runs exe with ArgMarker, lower and upper, and
// GOCACHE=upper because the go command still opens a GOCACHE directory (for
// the fuzz cache) even when GOCACHEPROG is set. exe, lower and upper must be
// absolute paths as seen by the go command.
//
// cmd/go splits GOCACHEPROG into fields at spaces, honouring '…' or "…"
// around a whole field and doing no unescaping. A path that needs quoting
// but contains both quote characters cannot be expressed; then GOCACHEPROG
// is set to an unterminated quote, so the go command fails at startup
// instead of silently using some other cache.
func Env(exe, lower, upper string) []string {
	prog, err := joinFields([]string{exe, ArgMarker, lower, upper})
	if err != nil {
		// An unterminated quote: cmd/go stops with "GOCACHEPROG args: ...".
		prog = `"cadre gocache: a path needs quoting but holds both quote characters`
	}
	return []string{"GOCACHEPROG=" + prog, "GOCACHE=" + upper}
}

// joinFields joins fields so that cmd/go's GOCACHEPROG splitting (quoted
// fields, no escapes) yields them back unchanged.
func joinFields(fields []string) (string, error) {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		needQuote := f == "" || strings.ContainsAny(f, " \t\r\n") || f[0] == '"' || f[0] == '\''
		switch {
		case !needQuote:
			b.WriteString(f)
		case !strings.Contains(f, `"`):
			b.WriteString(`"` + f + `"`)
		case !strings.Contains(f, `'`):
			b.WriteString(`'` + f + `'`)
		default:
			return "", fmt.Errorf("gocache: field %q contains both quote characters and cannot be quoted for GOCACHEPROG", f)
		}
	}
	return b.String(), nil
}

// request is one message from the go command (cmd/go/internal/cacheprog.Request).
type request struct {
	ID       int64
	Command  string
	ActionID []byte `json:",omitempty"`
	OutputID []byte `json:",omitempty"`
	BodySize int64  `json:",omitempty"`
}

// response is one message to the go command (cmd/go/internal/cacheprog.Response).
type response struct {
	ID            int64
	Err           string     `json:",omitempty"`
	KnownCommands []string   `json:",omitempty"`
	Miss          bool       `json:",omitempty"`
	OutputID      []byte     `json:",omitempty"`
	Size          int64      `json:",omitempty"`
	Time          *time.Time `json:",omitempty"`
	DiskPath      string     `json:",omitempty"`
}

// server holds the state of one Main invocation.
type server struct {
	lower, upper string
	in           *bufio.Reader

	// Responses are queued and written by one writer goroutine, so the
	// request loop never blocks on stdout even if the go command writes
	// many requests before reading any response.
	mu     sync.Mutex // guards the fields below
	cond   *sync.Cond // signalled when queue, closed or done change
	queue  []*response
	closed bool  // no more responses will be queued
	done   bool  // the writer has returned
	outErr error // first error writing stdout; later responses are dropped
}

// Main serves the GOCACHEPROG protocol on stdin/stdout until a "close"
// request or the end of stdin. lower is a read-only Go cache directory ("" for
// none; a missing one gives misses); upper is the private, writable one,
// created if missing. Gets are answered concurrently, so responses may come
// out of order, as the protocol allows. Malformed requests get a response
// with Err set. Main returns an error only if upper cannot be created, stdin
// cannot be read or stdout cannot be written.
func Main(lower, upper string, stdin io.Reader, stdout io.Writer) error {
	if upper == "" {
		return errors.New("gocache: upper cache directory not set")
	}
	if err := os.MkdirAll(upper, 0o777); err != nil {
		return fmt.Errorf("gocache: creating upper cache: %w", err)
	}
	s := &server{lower: lower, upper: upper, in: bufio.NewReaderSize(stdin, 64<<10)}
	s.cond = sync.NewCond(&s.mu)
	go s.writeLoop(stdout)
	defer s.finish()
	s.send(&response{KnownCommands: []string{"get", "put", "close"}})

	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, maxConcurrentGets)
	for {
		line, err := s.readLine()
		if err == io.EOF {
			wg.Wait()
			return s.finish()
		}
		if err != nil {
			return fmt.Errorf("gocache: reading request: %w", err)
		}
		var req request
		if err := json.Unmarshal(line, &req); err != nil {
			s.send(&response{ID: req.ID, Err: fmt.Sprintf("gocache: malformed request %.100q: %v", line, err)})
			continue
		}
		switch req.Command {
		case "get":
			if err := s.skipBody(&req); err != nil {
				return err
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				s.send(s.get(&req))
			}()
		case "put":
			res, err := s.put(&req)
			if err != nil {
				return err
			}
			s.send(res)
		case "close":
			if err := s.skipBody(&req); err != nil {
				return err
			}
			wg.Wait()
			s.send(&response{ID: req.ID})
			return s.finish()
		default:
			if err := s.skipBody(&req); err != nil {
				return err
			}
			s.send(&response{ID: req.ID, Err: fmt.Sprintf("gocache: unknown command %q", req.Command)})
		}
		if err := s.writeErr(); err != nil {
			return err
		}
	}
}

// send queues res for writing to stdout; it is safe for concurrent use.
func (s *server) send(res *response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.queue = append(s.queue, res)
	s.cond.Broadcast()
}

// writeLoop writes queued responses to stdout until finish is called and
// the queue is drained.
func (s *server) writeLoop(stdout io.Writer) {
	out := bufio.NewWriter(stdout)
	enc := json.NewEncoder(out)
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if len(s.queue) == 0 {
			s.done = true
			s.cond.Broadcast()
			return
		}
		batch := s.queue
		s.queue = nil
		failed := s.outErr != nil
		s.mu.Unlock()
		var err error
		for _, res := range batch {
			if !failed && err == nil {
				err = enc.Encode(res)
			}
		}
		if !failed && err == nil {
			err = out.Flush()
		}
		s.mu.Lock()
		if err != nil && s.outErr == nil {
			s.outErr = fmt.Errorf("gocache: writing response: %w", err)
		}
	}
}

// finish stops queueing, waits until every queued response is written and
// returns the first write error. It may be called more than once.
func (s *server) finish() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.cond.Broadcast()
	for !s.done {
		s.cond.Wait()
	}
	return s.outErr
}

// writeErr returns the first error writing stdout, if any.
func (s *server) writeErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outErr
}

// readLine returns the next non-blank line of stdin, without its newline.
func (s *server) readLine() ([]byte, error) {
	for {
		line, err := s.in.ReadBytes('\n')
		if t := bytes.TrimSpace(line); len(t) > 0 {
			return t, nil // a last line without newline still counts
		}
		if err != nil {
			return nil, err
		}
	}
}

func (s *server) get(req *request) *response {
	if len(req.ActionID) != hashSize {
		return &response{ID: req.ID, Err: fmt.Sprintf("gocache: get: ActionID has %d bytes, want %d", len(req.ActionID), hashSize)}
	}
	e, err := lookup(s.upper, req.ActionID)
	if err != nil {
		e, err = lookup(s.lower, req.ActionID)
	}
	if err != nil {
		return &response{ID: req.ID, Miss: true}
	}
	return &response{ID: req.ID, OutputID: e.outputID, Size: e.size, Time: &e.time, DiskPath: e.diskPath}
}

// put stores the request's body in upper. A bad request yields a response
// with Err set; the returned error is only for a broken stdin.
func (s *server) put(req *request) (*response, error) {
	fail := func(format string, args ...any) (*response, error) {
		if err := s.skipBody(req); err != nil {
			return nil, err
		}
		return &response{ID: req.ID, Err: "gocache: put: " + fmt.Sprintf(format, args...)}, nil
	}
	switch {
	case len(req.ActionID) != hashSize:
		return fail("ActionID has %d bytes, want %d", len(req.ActionID), hashSize)
	case len(req.OutputID) != hashSize:
		return fail("OutputID has %d bytes, want %d", len(req.OutputID), hashSize)
	case req.BodySize < 0:
		return fail("negative BodySize %d", req.BodySize)
	}
	var body io.Reader = strings.NewReader("")
	var qr *quotedReader
	if req.BodySize > 0 {
		var err error
		if qr, err = s.openBody(); err != nil {
			return nil, err
		}
		if qr == nil {
			return &response{ID: req.ID, Err: "gocache: put: body missing after request"}, nil
		}
		body = base64.NewDecoder(base64.StdEncoding, qr)
	}
	path, err := store(s.upper, req.ActionID, req.OutputID, body, req.BodySize)
	if qr != nil {
		// Consume whatever the decoder left (after an error, or the rest of
		// a body longer than BodySize) so the next request is read in sync.
		if _, derr := io.Copy(io.Discard, qr); derr != nil {
			return nil, fmt.Errorf("gocache: reading put body: %w", derr)
		}
	}
	if err != nil {
		return &response{ID: req.ID, Err: fmt.Sprintf("gocache: put %x: %v", req.ActionID, err)}, nil
	}
	return &response{ID: req.ID, DiskPath: path}, nil
}

// skipBody discards the body that follows a request with BodySize > 0.
func (s *server) skipBody(req *request) error {
	if req.BodySize <= 0 {
		return nil
	}
	qr, err := s.openBody()
	if err != nil || qr == nil {
		return err
	}
	if _, err := io.Copy(io.Discard, qr); err != nil {
		return fmt.Errorf("gocache: skipping body: %w", err)
	}
	return nil
}

// openBody positions stdin inside the JSON string that carries a request
// body. It returns nil (and no error) if the next non-space byte is not the
// opening quote, leaving that byte unread.
func (s *server) openBody() (*quotedReader, error) {
	for {
		c, err := s.in.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("gocache: reading body: %w", err)
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '"':
			return &quotedReader{in: s.in}, nil
		}
		if err := s.in.UnreadByte(); err != nil {
			return nil, fmt.Errorf("gocache: reading body: %w", err)
		}
		return nil, nil
	}
}

// quotedReader reads the bytes of a JSON string up to its closing quote,
// which it consumes. The go command writes bodies as plain base64 within the
// quotes, with no escapes.
type quotedReader struct {
	in      *bufio.Reader
	pending []byte
	done    bool
}

func (q *quotedReader) Read(p []byte) (int, error) {
	for len(q.pending) == 0 {
		if q.done {
			return 0, io.EOF
		}
		chunk, err := q.in.ReadSlice('"')
		switch {
		case err == nil:
			chunk = chunk[:len(chunk)-1]
			q.done = true
		case errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return 0, io.ErrUnexpectedEOF
		default:
			return 0, err
		}
		q.pending = chunk
	}
	n := copy(p, q.pending)
	q.pending = q.pending[n:]
	return n, nil
}
