package tools

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func lines(n int, format string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, format+"\n", i)
	}
	return b.String()
}

var goCode = `package demo

import "fmt"

func One() {
	fmt.Println("one")
}

func Two() {
	fmt.Println("two")
}

func Three() {
	fmt.Println("three")
}
`

var patchCases = []struct {
	name  string
	files map[string]string
	patch string
}{
	{
		name: "add",
		patch: `*** Begin Patch
*** Add File: pkg/sub/new.go
+package sub
+
+const X = 1
*** Add File: empty.txt
*** End Patch`,
	},
	{
		name:  "update_chunks",
		files: map[string]string{"demo.go": goCode},
		patch: `*** Begin Patch
*** Update File: demo.go
@@ func One() {
-	fmt.Println("one")
+	fmt.Println("uno")
 }
@@ func Three() {
-	fmt.Println("three")
+	fmt.Println("tres")
+	fmt.Println("drei")
 }
*** End Patch
`,
	},
	{
		name:  "anchor_stack_and_context",
		files: map[string]string{"demo.go": goCode},
		patch: `*** Begin Patch
*** Update File: demo.go
@@ import "fmt"
@@ func Two() {
 	fmt.Println("two")
+	fmt.Println("deux")
 }
*** End Patch`,
	},
	{
		name:  "move",
		files: map[string]string{"old/a.txt": "alpha\nbeta\ngamma\n", "plain.txt": "keep\n"},
		patch: `*** Begin Patch
*** Update File: old/a.txt
*** Move to: new/dir/b.txt
@@
 alpha
-beta
+BETA
 gamma
*** Update File: plain.txt
*** Move to: renamed.txt
*** End Patch`,
	},
	{
		name:  "delete",
		files: map[string]string{"gone.go": "package gone\n", "stay.go": "package stay\n"},
		patch: `*** Begin Patch
*** Delete File: gone.go
*** End Patch`,
	},
	{
		name:  "end_of_file",
		files: map[string]string{"f.txt": "x\n}\nmiddle\nx\n}\n"},
		patch: `*** Begin Patch
*** Update File: f.txt
 x
-}
+} // end
*** End of File
*** End Patch`,
	},
	{
		name:  "whitespace_tolerant",
		files: map[string]string{"w.py": "def f():   \n    a = 1\t\n    return a\n"},
		patch: `*** Begin Patch
*** Update File: w.py
 def f():
-  a = 1
+  a = 2
   return a
*** End Patch`,
	},
	{
		name:  "unicode_punctuation",
		files: map[string]string{"q.txt": "say “hello” — now\nnext\n"},
		patch: `*** Begin Patch
*** Update File: q.txt
-say "hello" - now
+say "bye"
 next
*** End Patch`,
	},
	{
		name:  "crlf_and_no_final_newline",
		files: map[string]string{"win.txt": "one\r\ntwo\r\nthree"},
		patch: "*** Begin Patch\r\n*** Update File: win.txt\r\n one\r\n-two\r\n+TWO\r\n three\r\n*** End Patch\r\n",
	},
	{
		name:  "unified_header_and_trailing_blank",
		files: map[string]string{"u.txt": lines(10, "line %d")},
		patch: `*** Begin Patch
*** Update File: u.txt
@@ -4,3 +4,3 @@
 line 4
-line 5
+line five
 line 6

@@ line 8
+after eight
*** End Patch`,
	},
	{
		name:  "heredoc_wrapper",
		files: map[string]string{"h.txt": "old\n"},
		patch: "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: h.txt\n-old\n+new\n*** End Patch\nEOF\n",
	},
	{
		name: "add_then_update_same_file",
		patch: `*** Begin Patch
*** Add File: n.txt
+a
+b
*** Update File: n.txt
 a
-b
+c
*** End Patch`,
	},
	{
		name:  "symlink_inside_root",
		files: map[string]string{"real/t.txt": "v1\n", "alias": "->real"},
		patch: `*** Begin Patch
*** Update File: alias/t.txt
-v1
+v2
*** End Patch`,
	},
}

func TestApplyPatchGolden(t *testing.T) {
	for _, tc := range patchCases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tc.files)
			before := dumpTree(t, root)
			p, err := ParsePatch(tc.patch)
			if err != nil {
				t.Fatalf("ParsePatch: %v", err)
			}
			parsed, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			res, err := ApplyPatch(root, tc.patch)
			if err != nil {
				t.Fatalf("ApplyPatch: %v", err)
			}
			got := fmt.Sprintf("== before\n%s\n== patch\n%s\n== parsed\n%s\n== output\n%s\n== changed\n%s\n== after\n%s\n",
				before, strings.TrimSpace(tc.patch), parsed, res.Output, strings.Join(res.Changed, "\n"), dumpTree(t, root))
			golden(t, "patch/"+tc.name+".golden", strings.ReplaceAll(got, "\r", `\r`))
		})
	}
}

func TestApplyPatchErrors(t *testing.T) {
	files := map[string]string{"a.go": goCode, "b.txt": "b1\nb2\n"}
	cases := []struct {
		name  string
		patch string
		is    error
		want  string
	}{
		{
			name: "hunk not found",
			patch: `*** Begin Patch
*** Update File: a.go
@@ func One() {
 	fmt.Println("one")
-}
+} // one
@@ func Two() {
 	fmt.Println("zwei")
-}
+}
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: update a.go: hunk 2 (patch line 7): cannot find its 2 context/removed lines after line 9 of the file, starting with "\tfmt.Println(\"zwei\")"; read the file again and resend the patch (no file was changed)`,
		},
		{
			name: "anchor not found",
			patch: `*** Begin Patch
*** Update File: a.go
@@ func Four() {
-x
+y
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: update a.go: hunk 1 (patch line 3): cannot find the "@@" line "func Four() {" in the file (no file was changed)`,
		},
		{
			name: "malformed header",
			patch: `*** Begin Patch
*** Modify File: a.go
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: line 2: expected "*** Add File:", "*** Update File:" or "*** Delete File:" followed by a path, got "*** Modify File: a.go"`,
		},
		{
			name: "missing begin",
			patch: `*** Update File: a.go
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: line 1: the first line must be "*** Begin Patch", got "*** Update File: a.go"`,
		},
		{
			name: "missing end",
			patch: `*** Begin Patch
*** Add File: c.txt
+c`,
			is:   ErrPatch,
			want: `patch rejected: line 3: the last line must be "*** End Patch", got "+c"`,
		},
		{
			name:  "empty",
			patch: "\n \n",
			is:    ErrPatch,
			want:  `patch rejected: the patch is empty; it must start with "*** Begin Patch" and end with "*** End Patch"`,
		},
		{
			name: "bad hunk line",
			patch: `*** Begin Patch
*** Update File: b.txt
 b1
b2
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: line 4: in Update File b.txt, every hunk line must start with ' ' (context), '-', '+' or "@@", got "b2"`,
		},
		{
			name: "add line without plus",
			patch: `*** Begin Patch
*** Add File: c.txt
+ok
oops
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: line 4: in Add File c.txt, every line must start with '+', got "oops"`,
		},
		{
			name: "update without hunks",
			patch: `*** Begin Patch
*** Update File: b.txt
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: line 2: Update File b.txt has no hunks`,
		},
		{
			name: "update missing file",
			patch: `*** Begin Patch
*** Update File: nope.txt
-x
+y
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: update nope.txt (patch line 2): no such file; use "*** Add File:" to create it (no file was changed)`,
		},
		{
			name: "add existing file",
			patch: `*** Begin Patch
*** Add File: b.txt
+new
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: add b.txt (patch line 2): the file already exists; use "*** Update File:" to change it (no file was changed)`,
		},
		{
			name: "delete missing file",
			patch: `*** Begin Patch
*** Delete File: nope.txt
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: delete nope.txt (patch line 2): no such file (no file was changed)`,
		},
		{
			name: "move onto existing file",
			patch: `*** Begin Patch
*** Update File: b.txt
*** Move to: a.go
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: update b.txt (patch line 2): cannot move to a.go: the file already exists (no file was changed)`,
		},
		{
			name: "eof marker without lines",
			patch: `*** Begin Patch
*** Update File: b.txt
*** End of File
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: line 3: in Update File b.txt, "*** End of File" must follow a hunk's lines`,
		},
		{
			name: "parent is a file",
			patch: `*** Begin Patch
*** Add File: b.txt/c.txt
+c
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: add b.txt/c.txt: a parent of the path is a file, not a directory (no file was changed)`,
		},
		{
			name: "update directory",
			patch: `*** Begin Patch
*** Update File: .
-x
*** End Patch`,
			is:   ErrPatch,
			want: `patch rejected: update .: the path names the worktree itself, not a file (no file was changed)`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, files)
			before := dumpTree(t, root)
			res, err := ApplyPatch(root, tc.patch)
			if err == nil {
				t.Fatalf("ApplyPatch succeeded: %+v", res)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
			if err.Error() != tc.want {
				t.Errorf("error text\n got: %s\nwant: %s", err, tc.want)
			}
			if after := dumpTree(t, root); after != before {
				t.Errorf("worktree changed by a failed patch:\n%s", after)
			}
		})
	}
}

func TestApplyPatchAtomic(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"b.txt": "b1\nb2\n", "c.txt": "c1\n"})
	before := dumpTree(t, root)
	_, err := ApplyPatch(root, `*** Begin Patch
*** Add File: a.txt
+a
*** Update File: b.txt
-b1
+B1
*** Delete File: c.txt
*** Update File: b.txt
-no such line
+x
*** End Patch`)
	if !errors.Is(err, ErrPatch) {
		t.Fatalf("want ErrPatch, got %v", err)
	}
	if after := dumpTree(t, root); after != before {
		t.Errorf("first files were written although a later hunk failed:\n%s", after)
	}
}

// A write that fails after other files were written restores them: "e" is
// written as a file, so creating "e/x.txt" fails at commit time.
func TestApplyPatchRollback(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"b.txt": "b1\n", "c.txt": "c1\n", "l": "->b.txt"})
	before := dumpTree(t, root)
	_, err := ApplyPatch(root, `*** Begin Patch
*** Update File: b.txt
-b1
+B1
*** Delete File: c.txt
*** Delete File: l
*** Add File: e
+file
*** Add File: e/x.txt
+x
*** End Patch`)
	if err == nil || !strings.Contains(err.Error(), "write e/x.txt") || !strings.Contains(err.Error(), "earlier files restored") {
		t.Fatalf("want a write error with restore, got %v", err)
	}
	if after := dumpTree(t, root); after != before {
		t.Errorf("worktree not restored:\n got: %s\nwant: %s", after, before)
	}
}

func TestApplyPatchPreservesMode(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"run.sh": "echo a\n"})
	if err := os.Chmod(filepath.Join(root, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := ApplyPatch(root, "*** Begin Patch\n*** Update File: run.sh\n-echo a\n+echo b\n*** End Patch")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", fi.Mode().Perm())
	}
	if res.Output != "M run.sh" || strings.Join(res.Changed, ",") != "run.sh" {
		t.Errorf("result %+v", res)
	}
	// No temporary file is left behind.
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 {
		t.Errorf("entries after patch: %v", ents)
	}
}

func TestApplyPatchEscapes(t *testing.T) {
	cases := []struct{ name, patch string }{
		{"dotdot", "*** Begin Patch\n*** Add File: ../x\n+x\n*** End Patch"},
		{"absolute outside", "*** Begin Patch\n*** Update File: /etc/passwd\n-root\n+toor\n*** End Patch"},
		{"absolute add outside", "*** Begin Patch\n*** Add File: /tmp/cadre-escape-test\n+x\n*** End Patch"},
		{"inner dotdot", "*** Begin Patch\n*** Add File: a/../../x\n+x\n*** End Patch"},
		{"symlink dir", "*** Begin Patch\n*** Add File: outlink/x.txt\n+x\n*** End Patch"},
		{"symlink dir nested", "*** Begin Patch\n*** Add File: outlink/deep/x.txt\n+x\n*** End Patch"},
		{"symlink file update", "*** Begin Patch\n*** Update File: secretlink\n-secret\n+pwned\n*** End Patch"},
		{"symlink file add", "*** Begin Patch\n*** Add File: newlink\n+x\n*** End Patch"},
		{"relative symlink", "*** Begin Patch\n*** Add File: uplink/x.txt\n+x\n*** End Patch"},
		{"move through symlink", "*** Begin Patch\n*** Update File: in.txt\n*** Move to: outlink/in.txt\n*** End Patch"},
		{"git config", "*** Begin Patch\n*** Update File: .git/config\n-[core]\n+[x]\n*** End Patch"},
		{"git hook", "*** Begin Patch\n*** Add File: sub/.git/hooks/pre-commit\n+x\n*** End Patch"},
		{"symlink into git", "*** Begin Patch\n*** Add File: gitlink/hooks/post-checkout\n+x\n*** End Patch"},
		{"delete outside", "*** Begin Patch\n*** Delete File: ../outside/secret.txt\n*** End Patch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			outside := t.TempDir()
			root := filepath.Join(parent, "wt")
			writeTree(t, outside, map[string]string{"secret.txt": "secret\n"})
			writeTree(t, root, map[string]string{
				"in.txt":      "in\n",
				".git/config": "[core]\n",
				"outlink":     "->" + outside,
				"secretlink":  "->" + filepath.Join(outside, "secret.txt"),
				"newlink":     "->" + filepath.Join(outside, "new.txt"),
				"uplink":      "->..",
				"gitlink":     "->.git",
			})
			beforeOut, beforeRoot := dumpTree(t, outside), dumpTree(t, parent)
			_, err := ApplyPatch(root, tc.patch)
			if !errors.Is(err, ErrOutsideRoot) {
				t.Fatalf("want ErrOutsideRoot, got %v", err)
			}
			if got := dumpTree(t, outside); got != beforeOut {
				t.Errorf("outside dir changed:\n%s", got)
			}
			if got := dumpTree(t, parent); got != beforeRoot {
				t.Errorf("worktree or its parent changed:\n%s", got)
			}
		})
	}
	if _, err := os.Stat("/tmp/cadre-escape-test"); err == nil {
		t.Error("/tmp/cadre-escape-test was written")
	}
}

func TestApplyPatchAbsoluteInside(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a.txt": "a\n"})
	res, err := ApplyPatch(root, "*** Begin Patch\n*** Update File: "+filepath.Join(root, "a.txt")+"\n-a\n+b\n*** End Patch")
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != "M a.txt" {
		t.Errorf("output %q", res.Output)
	}
}

func FuzzParsePatch(f *testing.F) {
	for _, tc := range patchCases {
		f.Add(tc.patch)
	}
	f.Add("*** Begin Patch\n*** Add File: ../x\n+x\n*** End Patch")
	f.Add("*** Begin Patch\n*** Add File: link/x\n+x\n*** End Patch")
	f.Add("*** Begin Patch\n*** Update File: f\n*** Move to: /tmp/x\n*** End Patch")
	f.Add("*** Begin Patch\n*** Update File: f\n@@ a\n@@ b\n*** End of File\n*** End Patch")
	f.Add("<<EOF\n*** Begin Patch\n*** Delete File: link\n*** End Patch\nEOF")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePatch(text)
		if err != nil {
			if !errors.Is(err, ErrPatch) {
				t.Fatalf("parse error does not wrap ErrPatch: %v", err)
			}
			return
		}
		if len(p.Ops) == 0 {
			t.Fatal("parsed patch without operations")
		}
		parent := t.TempDir()
		root := filepath.Join(parent, "root")
		writeTree(t, parent, map[string]string{"outside.txt": "keep\n", "root/f": "f\n", "root/link": "->.."})
		before := dumpTree(t, parent)
		_, _ = p.Apply(root)
		after := dumpTree(t, parent)
		// Everything outside root/ must be as it was.
		keep := func(dump string) string {
			var out []string
			for _, e := range strings.Split(dump, "\n--- ") {
				if !strings.HasPrefix(strings.TrimPrefix(e, "--- "), "root/") {
					out = append(out, e)
				}
			}
			return strings.Join(out, "\n")
		}
		if keep(after) != keep(before) {
			t.Fatalf("patch wrote outside the root:\n%s", after)
		}
	})
}

func BenchmarkApplyPatch5000Lines(b *testing.B) {
	root := b.TempDir()
	writeTree(b, root, map[string]string{"big.txt": lines(5000, "line %d of the big file")})
	forward := `*** Begin Patch
*** Update File: big.txt
@@ line 10 of the big file
 line 11 of the big file
-line 12 of the big file
+line twelve
 line 13 of the big file
@@ line 2500 of the big file
 line 2501 of the big file
-line 2502 of the big file
+line 2502 changed
 line 2503 of the big file
@@
 line 4999 of the big file
-line 5000 of the big file
+line 5000 changed
*** End of File
*** End Patch`
	back := strings.NewReplacer("-line 12 of", "+line 12 of", "+line twelve", "-line twelve",
		"-line 2502 of", "+line 2502 of", "+line 2502 changed", "-line 2502 changed",
		"-line 5000 of", "+line 5000 of", "+line 5000 changed", "-line 5000 changed").Replace(forward)
	for b.Loop() {
		if _, err := ApplyPatch(root, forward); err != nil {
			b.Fatal(err)
		}
		if _, err := ApplyPatch(root, back); err != nil {
			b.Fatal(err)
		}
	}
}
