package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/cadre-dev/cadre/actors"
	"github.com/cadre-dev/cadre/cmd/cadre/config"
	"github.com/cadre-dev/cadre/worktree"
)

// A team template says which role leads a run (/root) and what each role
// of the team is: its instructions, tools, model, turn limit and how many
// agents of it may work at once. Teams are TOML files named NAME.toml in
// <repo>/.cadre/teams/ or ~/.config/cadre/teams/ (the repository's first),
// or one of the built-in teams.
//
//	description = "one planner, up to three coders, a tester, a reviewer"
//	lead = "planner"
//	[roles.coder]
//	count = 3
//	model = "gpt-5-mini"
//	[roles.security]            # a role of its own, based on a built-in one
//	base = "reviewer"
//	instructions = "Review for security problems only: ..."
//
// and policies: approval_policy = "untrusted" (unless the configuration or
// a flag says otherwise) and rules = "policy.toml" (exec-policy rules added
// to the shipped ones, like --policy).
type team struct {
	Name        string
	Description string              `toml:"description"`
	Lead        string              `toml:"lead"`
	Roles       map[string]teamRole `toml:"roles"`
	// Policies: the team's approval policy (unless the configuration or a
	// flag sets one) and exec-policy rules added to the shipped ones.
	ApprovalPolicy string `toml:"approval_policy"`
	Rules          string `toml:"rules"` // an exec-policy TOML file, relative to the team file
	source         string // file, or "built-in"
}

type teamRole struct {
	Base             string   `toml:"base"`
	Model            string   `toml:"model"`
	Instructions     string   `toml:"instructions"`
	InstructionsFile string   `toml:"instructions_file"`
	Tools            []string `toml:"tools"`
	MaxTurns         int      `toml:"max_turns"`
	Count            int      `toml:"count"`
}

// builtinTeams are the teams cadre ships.
var builtinTeams = map[string]team{
	"default": {
		Name: "default", Description: "a planner leading coders (up to 4 at once), a tester and a reviewer", Lead: "planner",
		Roles: map[string]teamRole{"coder": {Count: 4}, "tester": {Count: 1}, "reviewer": {Count: 1}},
	},
	"review": {
		Name: "review", Description: "a review lead and a tester, for an existing branch (--base BRANCH)", Lead: "review_lead",
		Roles: map[string]teamRole{"review_lead": {}, "tester": {Count: 1}},
	},
}

// ErrNoTeam is wrapped when a team is not found.
var ErrNoTeam = errors.New("no such team")

// loadTeam finds team name for the repository at repoRoot.
func loadTeam(name, repoRoot string, getenv func(string) string) (team, error) {
	var dirs []string
	if repoRoot != "" {
		dirs = append(dirs, filepath.Join(repoRoot, ".cadre", "teams"))
	}
	if u := config.UserConfigPath(getenv); u != "" {
		dirs = append(dirs, filepath.Join(filepath.Dir(u), "teams"))
	}
	for _, d := range dirs {
		path := filepath.Join(d, name+".toml")
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return team{}, fmt.Errorf("read team %s: %w", path, err)
		}
		return parseTeam(name, path, data)
	}
	if t, ok := builtinTeams[name]; ok {
		t.source = "built-in"
		return t, nil
	}
	known := []string{}
	for n := range builtinTeams {
		known = append(known, n)
	}
	sort.Strings(known)
	return team{}, fmt.Errorf("%w %q: no %s.toml in %s, and the built-in teams are %s", ErrNoTeam, name, name, strings.Join(dirs, " or "), strings.Join(known, ", "))
}

func parseTeam(name, path string, data []byte) (team, error) {
	t := team{Name: name, source: path}
	md, err := toml.Decode(string(data), &t)
	if err != nil {
		return team{}, fmt.Errorf("team %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return team{}, fmt.Errorf("team %s: unknown key %q (keys: description, lead, approval_policy, rules, roles.<name>.{base, model, instructions, instructions_file, tools, max_turns, count})", path, und[0].String())
	}
	if t.Lead == "" {
		return team{}, fmt.Errorf("team %s: no lead (the role at /root)", path)
	}
	if t.ApprovalPolicy != "" {
		if err := actors.ValidApprovalPolicy(t.ApprovalPolicy); err != nil {
			return team{}, fmt.Errorf("team %s: approval_policy: %w", path, err)
		}
	}
	if t.Rules != "" && !filepath.IsAbs(t.Rules) {
		t.Rules = filepath.Join(filepath.Dir(path), t.Rules)
	}
	for n, r := range t.Roles {
		if r.InstructionsFile != "" && !filepath.IsAbs(r.InstructionsFile) {
			r.InstructionsFile = filepath.Join(filepath.Dir(path), r.InstructionsFile)
			t.Roles[n] = r
		}
	}
	return t, nil
}

// roles builds the run's roles: the built-in ones, the team's over them,
// then the configuration's [roles] over both.
func (t team) roles(c config.Config) (actors.Roles, error) {
	rs := actors.BuiltinRoles()
	apply := func(name, base, instructions, file string, tools []string, maxTurns, count int, where string) error {
		r, ok := rs[name]
		if base != "" {
			b, err := actors.LookupRole(base)
			if err != nil {
				return fmt.Errorf("%s: role %s: base: %w", where, name, err)
			}
			r, ok = b, true
		}
		if !ok {
			r = actors.Role{}
		}
		r.Name = name
		if file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("%s: role %s: %w", where, name, err)
			}
			instructions = string(b)
		}
		if instructions != "" {
			r.Instructions = instructions
		}
		if tools != nil {
			r.Tools = append([]string(nil), tools...)
		}
		if maxTurns > 0 {
			r.MaxTurns = maxTurns
		}
		if count > 0 {
			r.Max = count
		}
		if err := r.Validate(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		rs[name] = r
		return nil
	}
	for _, n := range sortedKeys(t.Roles) {
		r := t.Roles[n]
		if err := apply(n, r.Base, r.Instructions, r.InstructionsFile, r.Tools, r.MaxTurns, r.Count, "team "+t.source); err != nil {
			return nil, err
		}
	}
	for _, n := range sortedKeys(c.Roles) {
		r := c.Roles[n]
		if err := apply(n, "", r.Instructions, r.InstructionsFile, r.Tools, r.MaxTurns, 0, "config roles."+n); err != nil {
			return nil, err
		}
	}
	if _, err := rs.Lookup(t.Lead); err != nil {
		return nil, fmt.Errorf("team %s: lead: %w", t.source, err)
	}
	return rs, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// reviewTask is the task of a review run: the user's task and the diff of
// the branch under review (the run's base) against what it will be merged
// into.
func reviewTask(ctx context.Context, o *RunOptions) (string, error) {
	if o.Base == "" {
		return "", usagef("--team review needs --base BRANCH: the branch to review")
	}
	repo, err := worktree.Open(ctx, o.Repo)
	if err != nil {
		return "", usageError{err}
	}
	against := o.Against
	if against == "" {
		for _, b := range []string{"main", "master"} {
			if _, err := repo.ResolveCommit(ctx, "refs/heads/"+b); err == nil {
				against = b
				break
			}
		}
		if against == "" {
			return "", usagef("--team review: no main or master branch; say what to review against with --against REV")
		}
	}
	head, err := repo.ResolveCommit(ctx, o.Base)
	if err != nil {
		return "", usagef("--base %s: %v", o.Base, err)
	}
	out, err := exec.CommandContext(ctx, "git", "-C", repo.Root(), "merge-base", against, head).Output()
	if err != nil {
		return "", usagef("--against %s: no common ancestor with %s: %v", against, o.Base, err)
	}
	diff, err := repo.Diff(ctx, strings.TrimSpace(string(out)), head)
	if err != nil {
		return "", err
	}
	const maxDiff = 60 << 10
	if len(diff) > maxDiff {
		diff = diff[:maxDiff] + "\n[cadre: diff truncated; read the files for the rest]\n"
	}
	if strings.TrimSpace(diff) == "" {
		return "", usagef("--team review: %s has no changes against %s", o.Base, against)
	}
	return fmt.Sprintf("%s\n\nReview the branch %s against %s. Its diff:\n%s", o.Task, o.Base, against, diff), nil
}
