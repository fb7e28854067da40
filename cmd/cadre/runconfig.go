package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cadre-dev/cadre/actors"
	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/cmd/cadre/config"
	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/sandbox/execpolicy"
	"github.com/cadre-dev/cadre/supervisor"
)

// cliProvider is the provider id a --base-url (or CADRE_BASE_URL) defines.
const cliProvider = "cli"

// loadConfig layers the user's and the repository's configuration files,
// the CADRE_* environment and the flags the user set (in that order).
func (o *RunOptions) loadConfig(repoRoot string) (*config.Loaded, error) {
	var ov []config.Override
	add := func(key string, v any, source string) {
		ov = append(ov, config.Override{Key: key, Value: v, Source: source})
	}
	// pick returns a flag's value if the user set it, else the
	// environment variable's, with where it came from.
	pick := func(flag, flagVal, env string) (string, string) {
		if o.changed(flag, flagVal == "") {
			return flagVal, "flag --" + flag
		}
		if v := o.Getenv(env); v != "" {
			return v, "env " + env
		}
		return "", ""
	}
	if v, src := pick("model", o.Model, "CADRE_MODEL"); v != "" {
		add("model", v, src)
	}
	baseURL, baseSrc := pick("base-url", o.BaseURL, "CADRE_BASE_URL")
	wire, wireSrc := pick("wire-api", o.WireAPI, "CADRE_WIRE_API")
	keyEnv, keySrc := pick("api-key-env", o.APIKeyEnv, "CADRE_API_KEY_ENV")
	provider := ""
	if baseURL != "" {
		// A server named on the command line is a provider of its own,
		// speaking the Responses API and sending $OPENAI_API_KEY unless
		// told otherwise, as before configuration files existed.
		provider = cliProvider
		add("model_providers.cli.base_url", baseURL, baseSrc)
		if wire == "" {
			wire, wireSrc = config.WireResponses, baseSrc
		}
		if keyEnv == "" {
			keyEnv, keySrc = "OPENAI_API_KEY", baseSrc
		}
		add("model_provider", cliProvider, baseSrc)
	} else if wire != "" || keyEnv != "" {
		// They apply to the provider the files chose.
		ld, err := config.Load(config.LoadOptions{Getenv: o.Getenv, RepoRoot: repoRoot, Overrides: ov})
		if err != nil {
			return nil, err
		}
		provider = ld.Config.ModelProvider
	}
	if wire != "" {
		add("model_providers."+provider+".wire_api", wire, wireSrc)
	}
	if keyEnv != "" {
		add("model_providers."+provider+".env_key", keyEnv, keySrc)
	}
	flags := []struct {
		flag, key string
		val       any
	}{
		{"max-working", "limits.max_working", o.MaxWorking},
		{"max-turns", "limits.max_turns", o.MaxTurns},
		{"sandbox", "sandbox_mode", o.Sandbox},
		{"approval-policy", "approval_policy", o.Approval},
		{"test-command", "test_command", o.TestCmd},
	}
	for _, f := range flags {
		if o.changed(f.flag, f.val == "" || f.val == 0) {
			add(f.key, f.val, "flag --"+f.flag)
		}
	}
	return config.Load(config.LoadOptions{Getenv: o.Getenv, RepoRoot: repoRoot, Overrides: ov})
}

// changed reports whether a flag's value is to override the configuration:
// the user set it on the command line, or, for options a command filled in
// itself (cadre demo), it is not zero.
func (o *RunOptions) changed(name string, zero bool) bool {
	if o.flagChanged != nil {
		return o.flagChanged(name) && !zero
	}
	return !zero
}

// repoRoot is the top of the repository at path, or path itself when it
// is not (yet) a repository: its configuration file is looked up there.
func repoRoot(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	for dir := abs; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return abs
		}
	}
}

// spec turns options and configuration into a supervisor.RunSpec, or a
// usage error. Warnings of the configuration go to stderr.
func (o *RunOptions) spec() (supervisor.RunSpec, error) {
	root := repoRoot(o.Repo)
	if o.repoRoot != "" {
		root = o.repoRoot
	}
	ld, err := o.loadConfig(root)
	if err != nil {
		if errors.Is(err, config.ErrInvalid) {
			return supervisor.RunSpec{}, usageError{err}
		}
		return supervisor.RunSpec{}, err
	}
	for _, w := range ld.Warnings {
		fmt.Fprintln(o.IO.ErrOut, "cadre: warning:", w)
	}
	o.notify = ld.Config.Notify
	spec, err := specFromConfig(ld.Config, o)
	if err != nil {
		return spec, err
	}
	name := cmp.Or(o.Team, "default")
	t, err := loadTeam(name, root, o.Getenv)
	if err != nil {
		return spec, usageError{err}
	}
	if spec.Roles, err = t.roles(ld.Config); err != nil {
		return spec, usageError{err}
	}
	spec.RootRole, spec.Team = t.Lead, name
	if t.ApprovalPolicy != "" && ld.Source("approval_policy") == config.SourceDefault {
		spec.ApprovalPolicy = t.ApprovalPolicy
	}
	if t.Rules != "" {
		data, err := os.ReadFile(t.Rules)
		if err != nil {
			return spec, usagef("team %s: rules: %v", name, err)
		}
		rules, err := execpolicy.Parse(data, t.Rules)
		if err != nil {
			return spec, usageError{err}
		}
		if spec.Rules == nil {
			spec.Rules = execpolicy.Default()
		}
		spec.Rules = spec.Rules.Merge(rules)
	}
	for n, r := range t.Roles {
		if _, set := spec.RoleModels[n]; r.Model != "" && !set {
			if spec.RoleModels == nil {
				spec.RoleModels = map[string]model.Config{}
			}
			mc := spec.Model
			mc.Model = r.Model
			spec.RoleModels[n] = mc
		}
	}
	return spec, nil
}

// specFromConfig builds the RunSpec of an effective configuration.
func specFromConfig(c config.Config, o *RunOptions) (supervisor.RunSpec, error) {
	mc, err := modelConfig(c, "", o.Getenv)
	if err != nil {
		return supervisor.RunSpec{}, usageError{err}
	}
	spec := supervisor.RunSpec{
		Repo: o.Repo, Task: o.Task, Base: o.Base, Model: mc,
		MaxWorking: c.Limits.MaxWorking, MaxTurns: c.Limits.MaxTurns, MaxAgents: c.Limits.MaxAgents,
		MaxReviewRounds: c.Limits.MaxReviewRounds, ApprovalPolicy: c.ApprovalPolicy, Interactive: !o.JSONL,
		ContextWindow: int(c.ModelContextWindow), AutoCompactTokens: int(c.ModelAutoCompactTokenLimit),
	}
	if err := actors.ValidApprovalPolicy(spec.ApprovalPolicy); err != nil {
		return supervisor.RunSpec{}, usagef("approval_policy: %v", err)
	}
	switch c.SandboxMode {
	case config.SandboxOff:
		spec.Sandbox = supervisor.SandboxOff
	default:
		spec.Sandbox = supervisor.SandboxOn
	}
	if c.TestCommand != "" {
		spec.TestCommand = strings.Fields(c.TestCommand)
	}
	for name, r := range c.Roles {
		if r.Model == "" && r.ModelProvider == "" {
			continue
		}
		rc, err := modelConfig(c, name, o.Getenv)
		if err != nil {
			return supervisor.RunSpec{}, usageError{err}
		}
		if spec.RoleModels == nil {
			spec.RoleModels = map[string]model.Config{}
		}
		spec.RoleModels[name] = rc
	}
	for a, b := range c.Budgets {
		addr, err := messaging.ParseAddress(a)
		if err != nil {
			return supervisor.RunSpec{}, usagef("budgets.%q: %v", a, err)
		}
		if spec.Budgets == nil {
			spec.Budgets = map[messaging.Address]messaging.Budget{}
		}
		spec.Budgets[addr] = messaging.Budget{Tokens: b.Tokens, CostUSD: b.CostUSD, WallTime: messaging.MillisOf(b.WallTime), Turns: b.Turns}
	}
	for m, p := range c.Prices {
		if spec.Prices == nil {
			spec.Prices = map[string]model.Price{}
		}
		spec.Prices[m] = model.Price{Input: p.InputPerMTok, CachedInput: p.CachedInputPerMTok, Output: p.OutputPerMTok}
	}
	if o.PolicyFile != "" {
		data, err := os.ReadFile(o.PolicyFile)
		if err != nil {
			return supervisor.RunSpec{}, usagef("--policy: %v", err)
		}
		custom, err := execpolicy.Parse(data, o.PolicyFile)
		if err != nil {
			return supervisor.RunSpec{}, usageError{err}
		}
		spec.Rules = execpolicy.Default().Merge(custom)
	}
	return spec, nil
}

// modelConfig is the client configuration of role ("" for the default):
// its provider's URL, wire API, headers, retries and key.
func modelConfig(c config.Config, role string, getenv func(string) string) (model.Config, error) {
	_, p, m, err := c.ProviderFor(role)
	if err != nil {
		return model.Config{}, err
	}
	mc := model.Config{
		BaseURL: p.BaseURL, Model: m, WireAPI: model.WireAPI(p.WireAPI),
		APIKey: c.APIKey(p, getenv), Headers: c.HTTPHeaders(p, getenv), QueryParams: p.QueryParams,
		StallTimeout: p.StreamIdleTimeout,
	}
	if p.RequestMaxRetries != nil {
		mc.MaxAttempts = *p.RequestMaxRetries + 1
	}
	return mc, nil
}
