package gocache

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeGo plays the go command's side of the protocol over pipes.
type fakeGo struct {
	t      *testing.T
	stdin  *io.PipeWriter
	dec    *json.Decoder
	done   chan error
	nextID int64
}

func startFake(t *testing.T, lower, upper string) *fakeGo {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	f := &fakeGo{t: t, stdin: inW, dec: json.NewDecoder(outR), done: make(chan error, 1)}
	go func() {
		err := Main(lower, upper, inR, outW)
		outW.Close()
		inR.Close()
		f.done <- err
	}()
	var caps response
	if err := f.dec.Decode(&caps); err != nil {
		t.Fatalf("reading capabilities: %v", err)
	}
	if caps.ID != 0 || !reflect.DeepEqual(caps.KnownCommands, []string{"get", "put", "close"}) {
		t.Fatalf("capabilities = %+v", caps)
	}
	return f
}

// write sends raw protocol text.
func (f *fakeGo) write(s string) {
	f.t.Helper()
	if _, err := io.WriteString(f.stdin, s); err != nil {
		f.t.Fatalf("writing request: %v", err)
	}
}

// request encodes req the way cmd/go does: JSON, newline, blank line, then
// the base64 body as a JSON string on its own line when there is one.
func (f *fakeGo) request(req request, body []byte) int64 {
	f.t.Helper()
	f.nextID++
	req.ID = f.nextID
	b, err := json.Marshal(req)
	if err != nil {
		f.t.Fatal(err)
	}
	s := string(b) + "\n\n"
	if len(body) > 0 {
		s += `"` + base64.StdEncoding.EncodeToString(body) + "\"\n"
	}
	f.write(s)
	return req.ID
}

func (f *fakeGo) read() response {
	f.t.Helper()
	var res response
	if err := f.dec.Decode(&res); err != nil {
		f.t.Fatalf("reading response: %v", err)
	}
	return res
}

func id(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// snapshot records every file under dir with its mode, size, mtime and
// content, to prove that nothing was changed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		var sum [32]byte
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = sha256.Sum256(b)
		}
		m[p] = fmt.Sprintf("%v %d %d %x", fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), sum)
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot of %s: %v", dir, err)
	}
	return m
}

func TestProtocol(t *testing.T) {
	lower := filepath.Join(t.TempDir(), "lower")
	upper := filepath.Join(t.TempDir(), "upper", "created")
	lowerBody := []byte("from lower")
	lowerPath, err := store(lower, id("lower"), id(string(lowerBody)), bytes.NewReader(lowerBody), int64(len(lowerBody)))
	if err != nil {
		t.Fatal(err)
	}
	// A corrupt entry file, and an entry whose output is truncated.
	if err := os.MkdirAll(filepath.Dir(layerPath(lower, id("corrupt"), "a")), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(layerPath(lower, id("corrupt"), "a"), []byte("v1 garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	trunc := []byte("will be truncated")
	truncPath, err := store(lower, id("trunc"), id(string(trunc)), bytes.NewReader(trunc), int64(len(trunc)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(truncPath, 4); err != nil {
		t.Fatal(err)
	}
	// An entry whose action ID in the file does not match its name.
	misnamed, err := os.ReadFile(layerPath(lower, id("lower"), "a"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(layerPath(lower, id("misnamed"), "a")), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(layerPath(lower, id("misnamed"), "a"), misnamed, 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, lower)

	f := startFake(t, lower, upper)
	putBody := []byte("hello, cache")
	tests := []struct {
		name     string
		req      request
		body     []byte
		raw      string // sent instead of req when set
		miss     bool
		errSub   string // wanted substring of Err
		wantPath string // wanted DiskPath ("" = not checked); "upper" = inside upper
		wantBody []byte // wanted content at DiskPath
		extra    int    // further responses to read and ignore
	}{
		{name: "get miss", req: request{Command: "get", ActionID: id("a1")}, miss: true},
		{name: "put", req: request{Command: "put", ActionID: id("a1"), OutputID: id(string(putBody)), BodySize: int64(len(putBody))}, body: putBody, wantPath: "upper", wantBody: putBody},
		{name: "get hit upper", req: request{Command: "get", ActionID: id("a1")}, wantPath: "upper", wantBody: putBody},
		{name: "put empty body", req: request{Command: "put", ActionID: id("empty"), OutputID: id("")}, wantPath: "upper", wantBody: []byte{}},
		{name: "get empty", req: request{Command: "get", ActionID: id("empty")}, wantPath: "upper", wantBody: []byte{}},
		{name: "get hit lower", req: request{Command: "get", ActionID: id("lower")}, wantPath: lowerPath, wantBody: lowerBody},
		{name: "lower corrupt entry", req: request{Command: "get", ActionID: id("corrupt")}, miss: true},
		{name: "lower truncated output", req: request{Command: "get", ActionID: id("trunc")}, miss: true},
		{name: "lower mismatched action ID", req: request{Command: "get", ActionID: id("misnamed")}, miss: true},
		{name: "put bad hash", req: request{Command: "put", ActionID: id("a2"), OutputID: id("other"), BodySize: 3}, body: []byte("abc"), errSub: "hashes to"},
		{name: "get after bad put", req: request{Command: "get", ActionID: id("a2")}, miss: true},
		{name: "put size mismatch", req: request{Command: "put", ActionID: id("a3"), OutputID: id("abcd"), BodySize: 3}, body: []byte("abcd"), errSub: "BodySize"},
		{name: "put bad base64", raw: `{"ID":100,"Command":"put","ActionID":"` + base64.StdEncoding.EncodeToString(id("a4")) + `","OutputID":"` + base64.StdEncoding.EncodeToString(id("x")) + "\",\"BodySize\":1}\n\n\"!!!!\"\n", errSub: "illegal base64"},
		{name: "put missing body", raw: `{"ID":101,"Command":"put","ActionID":"` + base64.StdEncoding.EncodeToString(id("a5")) + `","OutputID":"` + base64.StdEncoding.EncodeToString(id("x")) + "\",\"BodySize\":1}\n" + `{"ID":102,"Command":"close?"}` + "\n", errSub: "body missing", extra: 1},
		{name: "put short OutputID", req: request{Command: "put", ActionID: id("a6"), OutputID: []byte{1}, BodySize: 1}, body: []byte("x"), errSub: "OutputID has 1 bytes"},
		{name: "get short ActionID", req: request{Command: "get", ActionID: []byte{1, 2}}, errSub: "ActionID has 2 bytes"},
		{name: "malformed JSON", raw: "{not json\n", errSub: "malformed request"},
		{name: "wrong field type", raw: `{"ID":7,"Command":"get","ActionID":12}` + "\n", errSub: "malformed request"},
		{name: "unknown command", req: request{Command: "get2"}, errSub: "unknown command"},
		{name: "still in sync", req: request{Command: "get", ActionID: id("lower")}, wantPath: lowerPath, wantBody: lowerBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.raw != "" {
				f.write(tt.raw)
			} else {
				f.request(tt.req, tt.body)
			}
			res := f.read()
			for range tt.extra {
				f.read()
			}
			if tt.errSub != "" {
				if !strings.Contains(res.Err, tt.errSub) {
					t.Fatalf("Err = %q, want it to contain %q", res.Err, tt.errSub)
				}
				return
			}
			if res.Err != "" {
				t.Fatalf("unexpected Err %q", res.Err)
			}
			if res.Miss != tt.miss {
				t.Fatalf("Miss = %v, want %v (res %+v)", res.Miss, tt.miss, res)
			}
			if tt.miss {
				return
			}
			switch tt.wantPath {
			case "upper":
				if !strings.HasPrefix(res.DiskPath, upper+string(filepath.Separator)) {
					t.Fatalf("DiskPath %q not in upper %q", res.DiskPath, upper)
				}
			case "":
			default:
				if res.DiskPath != tt.wantPath {
					t.Fatalf("DiskPath = %q, want %q", res.DiskPath, tt.wantPath)
				}
			}
			got, err := os.ReadFile(res.DiskPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.wantBody) {
				t.Fatalf("DiskPath content = %q, want %q", got, tt.wantBody)
			}
			if tt.req.Command == "get" {
				if sum := sha256.Sum256(got); !bytes.Equal(res.OutputID, sum[:]) || res.Size != int64(len(got)) || res.Time == nil || res.Time.IsZero() {
					t.Fatalf("get response %+v does not describe %q", res, got)
				}
			}
		})
	}

	id := f.request(request{Command: "close"}, nil)
	if res := f.read(); res.ID != id || res.Err != "" {
		t.Fatalf("close response = %+v", res)
	}
	if err := <-f.done; err != nil {
		t.Fatalf("Main after close: %v", err)
	}
	if after := snapshot(t, lower); !reflect.DeepEqual(before, after) {
		t.Errorf("lower changed:\nbefore %v\nafter  %v", before, after)
	}
}

// TestPipelined sends many requests before reading any response, as the go
// command may, and checks that every request gets exactly one response.
func TestPipelined(t *testing.T) {
	upper := t.TempDir()
	f := startFake(t, "", upper)
	const n = 200
	want := map[int64]string{}
	for i := range n {
		body := []byte(fmt.Sprint("body ", i))
		want[f.request(request{Command: "put", ActionID: id(fmt.Sprint(i)), OutputID: id(string(body)), BodySize: int64(len(body))}, body)] = "put"
		want[f.request(request{Command: "get", ActionID: id(fmt.Sprint(i))}, nil)] = "get"
		want[f.request(request{Command: "get", ActionID: id(fmt.Sprint("missing ", i))}, nil)] = "miss"
	}
	for range len(want) {
		res := f.read()
		kind, ok := want[res.ID]
		if !ok {
			t.Fatalf("unexpected or repeated response %+v", res)
		}
		delete(want, res.ID)
		if res.Err != "" || (kind == "miss") != res.Miss || (kind != "miss" && res.DiskPath == "") {
			t.Fatalf("%s response %+v", kind, res)
		}
	}
	f.stdin.Close() // end of input without "close" is a clean end too
	if err := <-f.done; err != nil {
		t.Fatalf("Main at EOF: %v", err)
	}
}

func TestMainErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, upper, stdin string
		errSub             string
	}{
		{name: "no upper", upper: "", errSub: "upper cache directory not set"},
		{name: "upper under a file", upper: filepath.Join(file, "x"), errSub: "creating upper cache"},
		{name: "stdin ends inside body", upper: t.TempDir(), stdin: `{"ID":1,"Command":"put","ActionID":"` + base64.StdEncoding.EncodeToString(id("a")) + `","OutputID":"` + base64.StdEncoding.EncodeToString(id("b")) + "\",\"BodySize\":9}\n\"YWJj", errSub: "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Main("", tt.upper, strings.NewReader(tt.stdin), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.errSub) {
				t.Fatalf("Main error = %v, want it to contain %q", err, tt.errSub)
			}
		})
	}
}

// splitLikeGo splits s the way cmd/go splits GOCACHEPROG (cmd/internal/quoted):
// fields separated by spaces, a field may be wrapped whole in '…' or "…",
// and nothing is unescaped.
func splitLikeGo(s string) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			return out, nil
		}
		if q := s[0]; q == '"' || q == '\'' {
			i := strings.IndexByte(s[1:], q)
			if i < 0 {
				return nil, fmt.Errorf("unterminated %c string", q)
			}
			out = append(out, s[1:1+i])
			s = s[2+i:]
			continue
		}
		i := strings.IndexAny(s, " \t\r\n")
		if i < 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name, exe, lower, upper string
		wantErr                 bool
	}{
		{name: "plain", exe: "/bin/cadre", lower: "/root/.cache/go-build", upper: "/tmp/agent/gocache"},
		{name: "empty lower", exe: "/bin/cadre", lower: "", upper: "/tmp/u"},
		{name: "spaces", exe: "/my bin/cadre", lower: "/a b/c", upper: "/x\ty/z"},
		{name: "leading quote", exe: "/bin/cadre", lower: `"quoted`, upper: `'single`},
		{name: "inner quotes", exe: "/bin/cadre", lower: `/it's"here"`, upper: `/a"b`},
		{name: "both quotes and space", exe: "/bin/cadre", lower: `/a'b "c`, upper: "/u", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Env(tt.exe, tt.lower, tt.upper)
			if len(env) != 2 || env[1] != "GOCACHE="+tt.upper || !strings.HasPrefix(env[0], "GOCACHEPROG=") {
				t.Fatalf("Env = %q", env)
			}
			got, err := splitLikeGo(strings.TrimPrefix(env[0], "GOCACHEPROG="))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("GOCACHEPROG %q splits without error into %q; want go to refuse it", env[0], got)
				}
				return
			}
			if err != nil {
				t.Fatalf("splitting %q: %v", env[0], err)
			}
			if want := []string{tt.exe, ArgMarker, tt.lower, tt.upper}; !reflect.DeepEqual(got, want) {
				t.Fatalf("GOCACHEPROG %q splits into %q, want %q", env[0], got, want)
			}
		})
	}
}
