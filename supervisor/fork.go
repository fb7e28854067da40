package supervisor

import (
	"bytes"
	"context"
	"fmt"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/worktree"
)

// Fork starts a new run from a past point of another: the journal of run
// up to event seq at (0: all of it) is copied under a new id, each agent's
// branch is recreated at its last snapshot as of that point and the result
// branch at its last merge, and the new run is resumed from there. The
// original run is not touched.
func (s *Supervisor) Fork(ctx context.Context, run string, at uint64, spec RunSpec) (*Run, error) {
	var events []messaging.Event
	if err := s.db.Events(run, 0, func(ev messaging.Event) error {
		if at == 0 || ev.Seq <= at {
			events = append(events, ev)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("fork %s: %w", run, err)
	}
	if len(events) == 0 || events[0].Type != messaging.EvRunStarted {
		return nil, fmt.Errorf("fork %s: the journal does not start with run_started", run)
	}
	// A fork of a finished run goes on from before its end.
	for len(events) > 0 {
		last := events[len(events)-1].Type
		if last != messaging.EvRunFinished && last != messaging.EvAgentFinished {
			break
		}
		events = events[:len(events)-1]
	}
	var started messaging.RunStarted
	if err := events[0].Decode(&started); err != nil {
		return nil, err
	}
	repo, err := worktree.Open(ctx, started.Repo)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrBadRepo, started.Repo, err)
	}
	id := messaging.NewRunID(s.now())
	old, neu := []byte(run), []byte(id)
	heads := map[string]string{} // branch → commit as of the fork point
	result := "cadre/" + id + "/result"
	heads[result] = started.BaseCommit
	copied := make([]messaging.Event, 0, len(events)+1)
	for _, ev := range events {
		ev.Seq, ev.Run = 0, id
		// Run ids are unique tokens: rewriting them renames every branch,
		// worktree path and envelope of the copy.
		ev.Data = bytes.ReplaceAll(ev.Data, old, neu)
		switch ev.Type {
		case messaging.EvAgentStarted:
			var p messaging.AgentStarted
			if err := ev.Decode(&p); err != nil {
				return nil, err
			}
			if _, ok := heads[p.Branch]; !ok {
				heads[p.Branch] = started.BaseCommit
			}
		case messaging.EvSnapshot:
			var p messaging.Snapshot
			if err := ev.Decode(&p); err != nil {
				return nil, err
			}
			heads[p.Branch] = p.Commit
		case messaging.EvMerged:
			var p messaging.Merged
			if err := ev.Decode(&p); err != nil {
				return nil, err
			}
			heads[result] = p.Result
		}
		copied = append(copied, ev)
	}
	copied = append(copied, messaging.NewEvent(id, messaging.Address{}, 0, s.now(),
		messaging.Warning{Text: fmt.Sprintf("forked from %s at event %d", run, events[len(events)-1].Seq)}))
	for branch, commit := range heads {
		if err := repo.CreateBranch(ctx, branch, commit); err != nil {
			return nil, fmt.Errorf("fork %s: branch %s: %w", run, branch, err)
		}
	}
	if _, err := s.record(ctx, copied...); err != nil {
		return nil, err
	}
	return s.Resume(ctx, id, spec)
}
