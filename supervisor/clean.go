package supervisor

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/worktree"
)

// Cleaned says what Clean did for one run.
type Cleaned struct {
	Run       string
	Worktrees int      // worktrees removed
	Deleted   []string // agent branches deleted (their commits are merged or archived)
	Archived  []string // refs/cadre/archive/... kept for commits merged nowhere
	Skipped   string   // why nothing was done, if so
}

// Clean removes what finished runs (succeeded, failed, cancelled) older
// than olderThan leave behind: worktrees, private areas and agents'
// branches. A branch is deleted only after its commits are merged into
// another branch or kept under refs/cadre/archive/<run>/...; result
// branches and the journal stay. Interrupted runs are left for resume.
func (s *Supervisor) Clean(ctx context.Context, olderThan time.Duration, dryRun bool) ([]Cleaned, error) {
	runs, err := s.db.Runs()
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []Cleaned
	for _, sum := range runs {
		switch sum.Status {
		case messaging.StatusSucceeded, messaging.StatusFailed, messaging.StatusCancelled:
		default:
			continue
		}
		if now.Sub(sum.Updated) < olderThan {
			continue
		}
		c, err := s.cleanRun(ctx, sum, dryRun)
		if err != nil {
			return out, fmt.Errorf("clean %s: %w", sum.ID, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Supervisor) cleanRun(ctx context.Context, sum messaging.RunSummary, dryRun bool) (Cleaned, error) {
	c := Cleaned{Run: sum.ID}
	repo, err := worktree.Open(ctx, sum.Repo)
	if err != nil {
		c.Skipped = fmt.Sprintf("repository %s: %v", sum.Repo, err)
		return c, nil
	}
	dir := runDir(s.state, sum.ID)
	infos, err := repo.List(ctx)
	if err != nil {
		return c, err
	}
	for _, in := range infos {
		if strings.HasPrefix(in.Path, dir+string(os.PathSeparator)) {
			c.Worktrees++
			if !dryRun {
				if err := repo.Remove(ctx, in.Path); err != nil {
					return c, err
				}
			}
		}
	}
	// The agents' branches and the merge queue's.
	branches := map[string]bool{"cadre/" + sum.ID + "/" + queueSlug: true}
	if err := s.db.Events(sum.ID, 0, func(ev messaging.Event) error {
		if ev.Type == messaging.EvAgentStarted {
			var p messaging.AgentStarted
			if ev.Decode(&p) == nil && p.Branch != "" {
				branches[p.Branch] = true
			}
		}
		return nil
	}); err != nil {
		return c, err
	}
	for b := range branches {
		tip, err := repo.ResolveCommit(ctx, "refs/heads/"+b)
		if err != nil {
			continue // already gone
		}
		merged, err := repo.Merged(ctx, tip, b)
		if err != nil {
			return c, err
		}
		if !merged {
			c.Archived = append(c.Archived, "refs/cadre/archive/"+sum.ID+"/"+b)
			if !dryRun {
				if _, err := repo.Archive(ctx, b, sum.ID); err != nil {
					return c, err
				}
			}
		}
		c.Deleted = append(c.Deleted, b)
		if !dryRun {
			if err := repo.DeleteBranch(ctx, b); err != nil {
				return c, err
			}
		}
	}
	if !dryRun {
		if err := os.RemoveAll(dir); err != nil {
			return c, err
		}
	}
	return c, nil
}
