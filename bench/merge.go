package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cadre-dev/cadre/worktree/merge3"
)

// measureMerge is row 10: the conflict forecast's in-memory merge check
// (worktree/merge3) against `git merge-tree --write-tree` on the same
// branches of a 200-file repository with 300 commits of history.
func measureMerge(cfg config) (merge3.MeasureResult, error) {
	dir, err := os.MkdirTemp("", "cadre-bench-merge-")
	if err != nil {
		return merge3.MeasureResult{}, err
	}
	defer os.RemoveAll(dir)
	n := 40
	if cfg.quick {
		n = 3
	}
	return merge3.Measure(filepath.Join(dir, "repo"), n)
}

func mergeRows(r merge3.MeasureResult) []row {
	var rows []row
	for _, c := range []struct {
		name string
		t    merge3.Timing
	}{{"clean", r.Clean}, {"conflict", r.Conflict}} {
		rows = append(rows, row{
			measure:   "10 merge check " + c.name,
			figure:    ms(c.t.InMemory),
			reference: ms(c.t.GitMergeTree) + " git merge-tree",
			ratio:     ratio(float64(c.t.InMemory), float64(c.t.GitMergeTree)),
			target:    check(c.t.InMemory <= c.t.GitMergeTree, "<= git merge-tree"),
			method: fmt.Sprintf("merge3.Commits (Write=false, repo opened once) vs one git merge-tree --write-tree, %d files, %d commits of history; with pack files kept open %s",
				r.Files, r.HistoryCommits, ms(c.t.InMemoryKeepDescriptors)),
		})
	}
	return rows
}
