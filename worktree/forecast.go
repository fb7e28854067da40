package worktree

import (
	"context"
	"errors"
	"fmt"

	"github.com/cadre-dev/cadre/worktree/merge3"
)

// Forecast reports whether merging commits ours and theirs would conflict,
// and in which paths, without writing anything: in process with the
// three-way merge of worktree/merge3 when go-git can read the repository,
// else with `git merge-tree`. It never touches a work tree, index or ref.
func (r *Repo) Forecast(ctx context.Context, ours, theirs string) (conflicts []string, err error) {
	if err := checkRev(ours); err != nil {
		return nil, fmt.Errorf("forecast %s with %s: %w", ours, theirs, err)
	}
	if err := checkRev(theirs); err != nil {
		return nil, fmt.Errorf("forecast %s with %s: %w", ours, theirs, err)
	}
	if r.gg != nil {
		res, err := merge3.Commits(r.gg, ours, theirs, merge3.Options{})
		if err == nil {
			for _, c := range res.Conflicts {
				conflicts = append(conflicts, c.Path)
			}
			return conflicts, nil
		}
		// An object go-git cannot read (e.g. a pack written since it
		// opened the repository): ask git.
	}
	_, conflicts, err = r.mergeTree(ctx, ours, theirs)
	if errors.Is(err, ErrConflict) {
		return conflicts, nil
	}
	if err != nil {
		return nil, fmt.Errorf("forecast %s with %s: %w", ours, theirs, err)
	}
	return nil, nil
}
