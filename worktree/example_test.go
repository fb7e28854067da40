package worktree_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/cadre-dev/cadre/worktree"
)

// The supervisor's use of a repository over one run: a worktree per agent,
// a snapshot after each turn, a merge of approved work into the result
// branch, then cleanup that keeps every commit reachable.
func Example() {
	ctx := context.Background()
	repo, err := worktree.Open(ctx, "/path/to/user/repo")
	if err != nil {
		log.Fatal(err)
	}
	base, _, err := repo.Head(ctx)
	if err != nil {
		log.Fatal(err)
	}
	const run = "r-20261123-ab12"
	result := "cadre/" + run + "/result"
	if err := repo.CreateBranch(ctx, result, base); err != nil {
		log.Fatal(err)
	}

	w, err := repo.Add(ctx, "/state/cadre/worktrees/"+run+"/root-coder_a", "cadre/"+run+"/root-coder_a", base)
	if err != nil {
		log.Fatal(err)
	}
	// ... the agent edits files under w.Path during a turn ...
	author := worktree.Author{Name: "/root/coder_a", Email: "coder_a@cadre.local", When: time.Now()}
	if _, changed, err := repo.Snapshot(ctx, w, author, "turn 1"); err != nil {
		log.Fatal(err)
	} else if changed {
		files, _ := repo.ChangedFiles(ctx, w.Base, w.Branch)
		fmt.Println("changed:", files)
	}

	res, err := repo.Merge(ctx, result, w.Branch, worktree.Author{Name: "/root", Email: "root@cadre.local"}, "")
	if errors.Is(err, worktree.ErrConflict) {
		fmt.Println("conflicts:", res.Conflicts) // nothing was written
	} else if err != nil {
		log.Fatal(err)
	}

	if err := repo.Remove(ctx, w.Path); err != nil {
		log.Fatal(err)
	}
	if _, err := repo.Archive(ctx, w.Branch, run); err != nil {
		log.Fatal(err)
	}
	if err := repo.DeleteBranch(ctx, w.Branch); err != nil {
		log.Fatal(err)
	}
}
