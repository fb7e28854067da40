package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cadre-dev/cadre/messaging"
)

func toolByName(t testing.TB, root, name string) Tool {
	t.Helper()
	for _, tl := range FileTools(root) {
		if tl.Spec().Name == name {
			return tl
		}
	}
	t.Fatalf("no tool %q", name)
	return nil
}

func run(t testing.TB, root, name, args string) (Result, error) {
	t.Helper()
	return toolByName(t, root, name).Run(context.Background(), json.RawMessage(args))
}

func TestSpecs(t *testing.T) {
	tools := FileTools(t.TempDir())
	want := []struct {
		name     string
		readOnly bool
	}{{"apply_patch", false}, {"read_file", true}, {"list_files", true}, {"search", true}}
	if len(tools) != len(want) {
		t.Fatalf("%d tools, want %d", len(tools), len(want))
	}
	var specs strings.Builder
	for i, tl := range tools {
		s := tl.Spec()
		if s.Name != want[i].name || tl.ReadOnly() != want[i].readOnly {
			t.Errorf("tool %d: %s readOnly=%v, want %s %v", i, s.Name, tl.ReadOnly(), want[i].name, want[i].readOnly)
		}
		if !json.Valid(s.Parameters) {
			t.Errorf("%s: parameters are not JSON", s.Name)
		}
		fmt.Fprintf(&specs, "== %s\n%s\n%s\n", s.Name, s.Description, s.Parameters)
	}
	golden(t, "specs.golden", specs.String())
}

func TestSchemaViolations(t *testing.T) {
	cases := []struct {
		tool, args, want string
	}{
		{"apply_patch", `{}`, "invalid: apply_patch: at /: missing property 'patch'"},
		{"apply_patch", `{"patch": 5}`, "invalid: apply_patch: at /patch: got number, want string"},
		{"apply_patch", `{"patch": "x", "extra": 1}`, "invalid: apply_patch: at /: additional properties 'extra' not allowed"},
		{"apply_patch", `{"patch": `, "invalid: apply_patch: arguments are not valid JSON: unexpected EOF"},
		{"apply_patch", ``, "invalid: apply_patch: empty arguments, expected a JSON object"},
		{"read_file", `{}`, "invalid: read_file: at /: missing property 'path'"},
		{"read_file", `{"path": "a", "offset": "2"}`, "invalid: read_file: at /offset: got string, want integer"},
		{"read_file", `{"path": "a", "offset": 0}`, "invalid: read_file: at /offset: minimum: got 0, want 1"},
		{"read_file", `{"path": "a", "limit": 2.5}`, "invalid: read_file: at /limit: got number, want integer"},
		{"read_file", `[1]`, "invalid: read_file: at /: got array, want object"},
		{"list_files", `{"depth": "2"}`, "invalid: list_files: at /depth: got string, want integer"},
		{"list_files", `{"depth": 11}`, "invalid: list_files: at /depth: maximum: got 11, want 10"},
		{"list_files", `{"path": ".", }`, "invalid: list_files: arguments are not valid JSON: invalid character '}' looking for beginning of object key string"},
		{"search", `{"path": "."}`, "invalid: search: at /: missing property 'pattern'"},
		{"search", `{"pattern": ["a"]}`, "invalid: search: at /pattern: got array, want string"},
		{"search", `{"pattern": "("}`, "search: invalid: pattern \"(\" is not a valid Go RE2 regular expression: error parsing regexp: missing closing ): `(`"},
		{"search", `{"pattern": "a", "glob": "[a-"}`, "search: invalid: glob \"[a-\": syntax error in pattern"},
	}
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a": "a\n"})
	for _, tc := range cases {
		t.Run(tc.tool+" "+tc.args, func(t *testing.T) {
			_, err := run(t, root, tc.tool, tc.args)
			if !errors.Is(err, messaging.ErrInvalid) {
				t.Fatalf("want messaging.ErrInvalid, got %v", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error text\n got: %s\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestApplyPatchTool(t *testing.T) {
	root := t.TempDir()
	args, _ := json.Marshal(map[string]string{"patch": "*** Begin Patch\n*** Add File: x/y.txt\n+hi\n*** End Patch"})
	res, err := run(t, root, "apply_patch", string(args))
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != "A x/y.txt" || len(res.Changed) != 1 || res.Changed[0] != "x/y.txt" {
		t.Errorf("result %+v", res)
	}
	_, err = run(t, root, "apply_patch", `{"patch": "*** Begin Patch\n*** Add File: ../z\n+z\n*** End Patch"}`)
	if !errors.Is(err, ErrOutsideRoot) || !strings.HasPrefix(err.Error(), "apply_patch: add ../z: ") {
		t.Errorf("want apply_patch: ... ErrOutsideRoot, got %v", err)
	}
}

func TestToolErrorsOnBadRoot(t *testing.T) {
	for _, tl := range FileTools("relative/root") {
		args := map[string]string{"apply_patch": `{"patch":"*** Begin Patch\n*** Delete File: a\n*** End Patch"}`,
			"read_file": `{"path":"a"}`, "list_files": `{}`, "search": `{"pattern":"a"}`}[tl.Spec().Name]
		_, err := tl.Run(context.Background(), json.RawMessage(args))
		if err == nil || !strings.Contains(err.Error(), `worktree root "relative/root" is not an absolute path`) {
			t.Errorf("%s: got %v", tl.Spec().Name, err)
		}
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tl := range FileTools(t.TempDir()) {
		if _, err := tl.Run(ctx, json.RawMessage(`{}`)); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: want context.Canceled, got %v", tl.Spec().Name, err)
		}
	}
}

func TestReadFile(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret.txt": "secret\n"})
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"ten.txt":      lines(10, "line %d"),
		"big.txt":      lines(2500, "row %d"),
		"crlf.txt":     "a\r\nb",
		"empty.txt":    "",
		"bin.dat":      "PK\x03\x04\x00\x00binary",
		"long.txt":     strings.Repeat("x", 2100) + "\nshort\n",
		"dir/f.txt":    "f\n",
		"outlink":      "->" + outside,
		"secretlink":   "->" + filepath.Join(outside, "secret.txt"),
		"inlink.txt":   "->ten.txt",
		".git/config":  "[core]\n",
		"wide/w.txt":   strings.Repeat(strings.Repeat("w", 199)+"\n", 2000),
		"nested/a.txt": "nested\n",
		"loop1":        "->loop2",
		"loop2":        "->loop1",
	})
	cases := []struct {
		name, args string
		want       string // output, or error text if is != nil
		is         error
	}{
		{"window", `{"path":"ten.txt","offset":3,"limit":2}`,
			"    3  line 3\n    4  line 4\n... 6 more lines; use offset=5", nil},
		{"whole", `{"path":"ten.txt","offset":9}`, "    9  line 9\n   10  line 10", nil},
		{"crlf", `{"path":"crlf.txt"}`, "    1  a\n    2  b", nil},
		{"empty", `{"path":"empty.txt"}`, "(empty file)", nil},
		{"long line", `{"path":"long.txt"}`,
			"    1  " + strings.Repeat("x", 2000) + " ... [100 more bytes on this line]\n    2  short", nil},
		{"symlink inside", `{"path":"inlink.txt","limit":1}`, "    1  line 1\n... 9 more lines; use offset=2", nil},
		{"absolute inside", `{"path":"` + filepath.Join(root, "nested/a.txt") + `"}`, "    1  nested", nil},
		{"binary", `{"path":"bin.dat"}`, "read_file: binary file: bin.dat (12 bytes) is not a text file; it is not shown", ErrBinary},
		{"missing", `{"path":"nope.txt"}`, "read_file: nope.txt: file does not exist (list_files or search can find the right path)", fs.ErrNotExist},
		{"past end", `{"path":"ten.txt","offset":11}`, "read_file: offset 11 is past the end of ten.txt, which has 10 lines", nil},
		{"directory", `{"path":"dir"}`, "read_file: dir is a directory; use list_files", nil},
		{"dotdot", `{"path":"../x"}`, `read_file: path outside the worktree: "../x" climbs out of the worktree`, ErrOutsideRoot},
		{"absolute", `{"path":"/etc/passwd"}`, `read_file: path outside the worktree: "/etc/passwd" is an absolute path outside the worktree; use a relative path`, ErrOutsideRoot},
		{"symlink dir", `{"path":"outlink/secret.txt"}`, "", ErrOutsideRoot},
		{"symlink file", `{"path":"secretlink"}`, "", ErrOutsideRoot},
		{"symlink loop", `{"path":"loop1"}`, `read_file: "loop1": too many levels of symbolic links`, nil},
		{"git", `{"path":".git/config"}`, `read_file: path outside the worktree: ".git/config" is inside .git, which tools may not touch`, ErrOutsideRoot},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, root, "read_file", tc.args)
			if tc.is != nil || strings.HasPrefix(tc.want, "read_file:") {
				if err == nil {
					t.Fatalf("want error, got %q", res.Output)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("error %v does not wrap %v", err, tc.is)
				}
				if tc.want != "" && err.Error() != tc.want {
					t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Output != tc.want {
				t.Errorf("output\n got: %q\nwant: %q", res.Output, tc.want)
			}
		})
	}

	t.Run("line cap", func(t *testing.T) {
		res, err := run(t, root, "read_file", `{"path":"big.txt"}`)
		if err != nil {
			t.Fatal(err)
		}
		out := strings.Split(res.Output, "\n")
		if len(out) != 2001 || out[1999] != " 2000  row 2000" || out[2000] != "... 500 more lines; use offset=2001" {
			t.Errorf("got %d lines, last %q %q", len(out), out[len(out)-2], out[len(out)-1])
		}
	})
	t.Run("byte cap", func(t *testing.T) {
		res, err := run(t, root, "read_file", `{"path":"wide/w.txt"}`)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Output) > maxReadBytes+200 {
			t.Errorf("output %d bytes exceeds the cap", len(res.Output))
		}
		last := res.Output[strings.LastIndexByte(res.Output, '\n')+1:]
		if !strings.HasPrefix(last, "... ") || !strings.Contains(last, "(output capped at 256 KiB); use offset=") {
			t.Errorf("last line %q", last)
		}
	})
}

func TestListFiles(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"go.mod":              "module x\n",
		"cmd/app/main.go":     "package main\n",
		"cmd/app/deep/x.go":   "package deep\n",
		"internal/a.go":       "package internal\n",
		"internal/b/b.go":     "package b\n",
		".git/HEAD":           "ref\n",
		"sub/.git":            "gitdir: ../.git/worktrees/sub\n",
		"sub/README.md":       "readme\n",
		"link":                "->internal",
		"zeta/.gitkeep":       "",
		"empty/.placeholder/": "",
	})
	if err := os.Remove(filepath.Join(root, "empty/.placeholder")); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, args, want string }{
		{"default", `{}`, "cmd/\n  app/ (2 entries)\nempty/\ngo.mod\ninternal/\n  a.go\n  b/ (1 entry)\nlink -> internal\nsub/\n  README.md\nzeta/\n  .gitkeep"},
		{"depth 1", `{"path":".","depth":1}`, "cmd/ (1 entry)\nempty/\ngo.mod\ninternal/ (2 entries)\nlink -> internal\nsub/ (1 entry)\nzeta/ (1 entry)"},
		{"subdir", `{"path":"cmd","depth":3}`, "app/\n  deep/\n    x.go\n  main.go"},
		{"empty", `{"path":"empty"}`, "(empty directory)"},
		{"through inner link", `{"path":"link"}`, "a.go\nb/\n  b.go"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, root, "list_files", tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if res.Output != tc.want {
				t.Errorf("output\n got: %q\nwant: %q", res.Output, tc.want)
			}
		})
	}
	errCases := []struct {
		name, args, want string
		is               error
	}{
		{"file", `{"path":"go.mod"}`, "list_files: go.mod is a file, not a directory; use read_file", nil},
		{"missing", `{"path":"nope"}`, "list_files: nope: file does not exist", fs.ErrNotExist},
		{"dotdot", `{"path":".."}`, `list_files: path outside the worktree: ".." climbs out of the worktree`, ErrOutsideRoot},
		{"git", `{"path":".git"}`, `list_files: path outside the worktree: ".git" is inside .git, which tools may not touch`, ErrOutsideRoot},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, root, "list_files", tc.args)
			if err == nil || err.Error() != tc.want || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestListFilesCap(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{}
	for i := range 600 {
		files[fmt.Sprintf("f%03d.txt", i)] = ""
	}
	writeTree(t, root, files)
	res, err := run(t, root, "list_files", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Split(res.Output, "\n")
	if len(out) != 501 || out[499] != "f499.txt" || out[500] != "... stopped at 500 entries; list a subdirectory or use a smaller depth" {
		t.Errorf("got %d lines ending %q", len(out), out[len(out)-1])
	}
}

func TestSearch(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret.go": "func Secret() {}\n"})
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"a.go":          "package a\n\nfunc Alpha() {}\nfunc beta() {}\n",
		"sub/b.go":      "package sub\r\nfunc Beta() {}\r\n",
		"sub/notes.txt": "func in text\n",
		"bin.dat":       "func\x00binary",
		".git/x.go":     "func Hidden() {}\n",
		"outlink":       "->" + outside,
		"long.go":       "// " + strings.Repeat("é", 200) + " func\n",
	})
	cases := []struct{ name, args, want string }{
		{"all", `{"pattern":"^func [A-Z]"}`, "a.go:3: func Alpha() {}\nsub/b.go:2: func Beta() {}"},
		{"case insensitive", `{"pattern":"(?i)^func beta"}`, "a.go:4: func beta() {}\nsub/b.go:2: func Beta() {}"},
		{"glob", `{"pattern":"func","glob":"*.txt"}`, "sub/notes.txt:1: func in text"},
		{"glob with dir", `{"pattern":"func","glob":"sub/*.go"}`, "sub/b.go:2: func Beta() {}"},
		{"path file", `{"pattern":"package","path":"a.go"}`, "a.go:1: package a"},
		{"path dir", `{"pattern":"package","path":"sub"}`, "sub/b.go:1: package sub"},
		{"end anchor", `{"pattern":"\\{\\}$","path":"sub"}`, "sub/b.go:2: func Beta() {}"},
		{"long line", `{"pattern":"é func","glob":"long.go"}`, "long.go:1: // " + strings.Repeat("é", 148) + " ..."},
		{"multiline off", `{"pattern":"(?-m)^func A","path":"a.go"}`, "a.go:3: func Alpha() {}"},
		{"text anchor", `{"pattern":"\\Afunc b"}`, "a.go:4: func beta() {}"},
		{"none", `{"pattern":"nothing here"}`, `no matches for "nothing here" in .`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := run(t, root, "search", tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if res.Output != tc.want {
				t.Errorf("output\n got: %q\nwant: %q", res.Output, tc.want)
			}
		})
	}
	for _, args := range []string{`{"pattern":"x","path":"../"}`, `{"pattern":"x","path":"outlink"}`, `{"pattern":"x","path":".git"}`} {
		if _, err := run(t, root, "search", args); !errors.Is(err, ErrOutsideRoot) {
			t.Errorf("%s: want ErrOutsideRoot, got %v", args, err)
		}
	}
}

func TestSearchCap(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"many.txt": lines(300, "hit %d")})
	res, err := run(t, root, "search", `{"pattern":"hit"}`)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Split(res.Output, "\n")
	if len(out) != 201 || out[199] != "many.txt:200: hit 200" || out[200] != "... stopped at 200 matches; narrow the pattern, path or glob" {
		t.Errorf("got %d lines ending %q", len(out), out[len(out)-1])
	}
}

func BenchmarkSearch2000Files(b *testing.B) {
	root := b.TempDir()
	files := map[string]string{}
	for i := range 2000 {
		files[fmt.Sprintf("pkg%02d/file%04d.go", i%40, i)] = fmt.Sprintf("package pkg\n\n// File %d.\nfunc F%d() int {\n\treturn %d\n}\n", i, i, i) + lines(40, "var _ = %d // filler")
	}
	writeTree(b, root, files)
	tl := toolByName(b, root, "search")
	args := json.RawMessage(`{"pattern":"func F1[0-9]{2}\\(","glob":"*.go"}`)
	for b.Loop() {
		res, err := tl.Run(context.Background(), args)
		if err != nil {
			b.Fatal(err)
		}
		if strings.Count(res.Output, "\n") != 99 {
			b.Fatalf("unexpected output: %d lines", strings.Count(res.Output, "\n")+1)
		}
	}
}
