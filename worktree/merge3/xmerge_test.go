package merge3

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// lineCases are hand-written line merges with the result git gives them;
// TestMergeTextMatchesGit checks that the expectations are git's own.
var lineCases = []struct {
	name               string
	base, ours, theirs string
	want               string
	conflicts          int
}{
	{
		name: "far apart edits merge",
		base: "a\nb\nc\nd\ne\n", ours: "A\nb\nc\nd\ne\n", theirs: "a\nb\nc\nd\nE\n",
		want: "A\nb\nc\nd\nE\n",
	},
	{
		name: "one unchanged line between edits is enough",
		base: "a\nb\nc\nd\ne\n", ours: "a\nB\nc\nd\ne\n", theirs: "a\nb\nc\nD\ne\n",
		want: "a\nB\nc\nD\ne\n",
	},
	{
		name: "edits of adjacent lines conflict",
		base: "a\nb\nc\nd\n", ours: "a\nB\nc\nd\n", theirs: "a\nb\nC\nd\n",
		want:      "a\n<<<<<<< ours\nB\nc\n=======\nb\nC\n>>>>>>> theirs\nd\n",
		conflicts: 1,
	},
	{
		name: "insert right after a changed line conflicts",
		base: "a\nb\nc\n", ours: "a\nB\nc\n", theirs: "a\nb\nX\nc\n",
		want:      "a\n<<<<<<< ours\nB\n=======\nb\nX\n>>>>>>> theirs\nc\n",
		conflicts: 1,
	},
	{
		name: "insert right before a changed line conflicts",
		base: "a\nb\nc\n", ours: "a\nB\nc\n", theirs: "a\nX\nb\nc\n",
		want:      "a\n<<<<<<< ours\nB\n=======\nX\nb\n>>>>>>> theirs\nc\n",
		conflicts: 1,
	},
	{
		name: "deleting adjacent lines conflicts",
		base: "a\nb\nc\nd\n", ours: "a\nc\nd\n", theirs: "a\nb\nd\n",
		want:      "a\n<<<<<<< ours\nc\n=======\nb\n>>>>>>> theirs\nd\n",
		conflicts: 1,
	},
	{
		name: "identical changes merge",
		base: "a\nb\nc\n", ours: "a\nX\nc\n", theirs: "a\nX\nc\n",
		want: "a\nX\nc\n",
	},
	{
		name: "identical change plus a separate change",
		base: "a\nb\nc\nd\ne\n", ours: "a\nX\nc\nd\nE\n", theirs: "a\nX\nc\nd\ne\n",
		want: "a\nX\nc\nd\nE\n",
	},
	{
		name: "both delete the same line",
		base: "a\nb\nc\n", ours: "a\nc\n", theirs: "a\nc\n",
		want: "a\nc\n",
	},
	{
		name: "inserts at the same place conflict",
		base: "a\nb\n", ours: "a\nX\nb\n", theirs: "a\nY\nb\n",
		want:      "a\n<<<<<<< ours\nX\n=======\nY\n>>>>>>> theirs\nb\n",
		conflicts: 1,
	},
	{
		name: "identical inserts at the same place merge",
		base: "a\nb\n", ours: "a\nX\nb\n", theirs: "a\nX\nb\n",
		want: "a\nX\nb\n",
	},
	{
		name: "both append at the end",
		base: "a\n", ours: "a\nX\n", theirs: "a\nY\n",
		want:      "a\n<<<<<<< ours\nX\n=======\nY\n>>>>>>> theirs\n",
		conflicts: 1,
	},
	{
		name: "delete against modify conflicts",
		base: "a\nb\nc\n", ours: "a\nc\n", theirs: "a\nB\nc\n",
		want:      "a\n<<<<<<< ours\n=======\nB\n>>>>>>> theirs\nc\n",
		conflicts: 1,
	},
	{
		name: "conflict narrowed to the lines that differ",
		base: "a\nb\nc\n", ours: "a\nX\nY\nZ\nc\n", theirs: "a\nX\nQ\nZ\nc\n",
		want:      "a\nX\n<<<<<<< ours\nY\n=======\nQ\n>>>>>>> theirs\nZ\nc\n",
		conflicts: 1,
	},
	{
		name: "conflicts three lines apart are joined",
		base: "1\n2\n3\n4\n5\n6\n", ours: "1\nA\n3\n4\nB\n6\n", theirs: "1\nX\n3\n4\nY\n6\n",
		want:      "1\n<<<<<<< ours\nA\n3\n4\nB\n=======\nX\n3\n4\nY\n>>>>>>> theirs\n6\n",
		conflicts: 1,
	},
	{
		name: "conflicts four lines apart stay apart",
		base: "1\n2\n3\n4\n5\n6\n7\n", ours: "1\nA\n3\n4\n5\n6\nB\n", theirs: "1\nX\n3\n4\n5\n6\nY\n",
		want:      "1\n<<<<<<< ours\nA\n=======\nX\n>>>>>>> theirs\n3\n4\n5\n6\n<<<<<<< ours\nB\n=======\nY\n>>>>>>> theirs\n",
		conflicts: 2,
	},
	{
		name: "no trailing newline: both change the last line",
		base: "a\nb", ours: "a\nB", theirs: "a\nb\n",
		want:      "a\n<<<<<<< ours\nB\n=======\nb\n>>>>>>> theirs\n",
		conflicts: 1,
	},
	{
		name: "no trailing newline: adding it merges with an edit above",
		base: "a\nb\nc\nd", ours: "A\nb\nc\nd", theirs: "a\nb\nc\nd\n",
		want: "A\nb\nc\nd\n",
	},
	{
		name: "no trailing newline kept",
		base: "a\nb\nc\nd", ours: "A\nb\nc\nd", theirs: "a\nb\nc\nD",
		want: "A\nb\nc\nD",
	},
	{
		name: "empty base, both add different lines",
		base: "", ours: "a\n", theirs: "b\n",
		want:      "<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs\n",
		conflicts: 1,
	},
	{
		name: "empty base, one side adds nothing",
		base: "", ours: "", theirs: "x\ny\n",
		want: "x\ny\n",
	},
	{
		name: "one side empties the file, the other edits it",
		base: "a\nb\n", ours: "", theirs: "a\nB\n",
		want:      "<<<<<<< ours\n=======\na\nB\n>>>>>>> theirs\n",
		conflicts: 1,
	},
	{
		name: "CRLF markers follow the file",
		base: "a\r\nb\r\nc\r\n", ours: "a\r\nX\r\nc\r\n", theirs: "a\r\nY\r\nc\r\n",
		want:      "a\r\n<<<<<<< ours\r\nX\r\n=======\r\nY\r\n>>>>>>> theirs\r\nc\r\n",
		conflicts: 1,
	},
	{
		// ours inserts "}\n\n" among repeated lines: xdiff slides the
		// insertion as far down as it goes, away from theirs' change.
		name: "repeated lines: an insert slides down, away from the other change",
		base: "x\n}\n\n}\n\ny\n", ours: "x\n}\n\n}\n\n}\n\ny\n", theirs: "x\n}\n\nz\n}\n\ny\n",
		want: "x\n}\n\nz\n}\n\n}\n\ny\n",
	},
}

func TestMergeText(t *testing.T) {
	for _, tc := range lineCases {
		t.Run(tc.name, func(t *testing.T) {
			got, n := mergeText([]byte(tc.base), []byte(tc.ours), []byte(tc.theirs),
				textLabels{ours: "ours", theirs: "theirs", markerSize: 7})
			if string(got) != tc.want || n != tc.conflicts {
				t.Errorf("got %d conflicts:\n%s\nwant %d:\n%s", n, got, tc.conflicts, tc.want)
			}
		})
	}
}

// TestMergeTextMatchesGit checks the table against git: each case is a
// file in a real repository, merged by `git merge-tree` with branches named
// ours and theirs.
func TestMergeTextMatchesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed:", err)
	}
	g := initRepo(t)
	write := func(name string, pick func(int) string) {
		var b strings.Builder
		if name != "base" {
			fmt.Fprintf(&b, "from refs/heads/base\n")
		}
		for i := range lineCases {
			c := pick(i)
			fmt.Fprintf(&b, "M 100644 inline f%02d\ndata %d\n%s\n", i, len(c), c)
		}
		stream := fmt.Sprintf("commit refs/heads/%s\ncommitter T <t@example.invalid> 1700000000 +0000\ndata 0\n%s\n", name, b.String())
		if _, _, err := g.run([]byte(stream), nil, "fast-import", "--quiet"); err != nil {
			t.Fatal(err)
		}
	}
	write("base", func(i int) string { return lineCases[i].base })
	write("ours", func(i int) string { return lineCases[i].ours })
	write("theirs", func(i int) string { return lineCases[i].theirs })
	res, err := g.mergeTreeStdin([][2]string{{"ours", "theirs"}})
	if err != nil {
		t.Fatal(err)
	}
	conflicted := map[string]bool{}
	for _, p := range res[0].paths {
		conflicted[p] = true
	}
	for i, tc := range lineCases {
		out, _, err := g.run(nil, nil, "cat-file", "blob", fmt.Sprintf("%s:f%02d", res[0].tree, i))
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tc.want || conflicted[fmt.Sprintf("f%02d", i)] != (tc.conflicts > 0) {
			t.Errorf("%s: git gives (conflicted %v):\n%s", tc.name, conflicted[fmt.Sprintf("f%02d", i)], out)
		}
	}
}
