package config_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/cmd/cadre/config"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// env is a hermetic environment.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixture is a home directory and a repository in a temporary directory.
type fixture struct {
	dir, home, repo string
	userFile        string // $HOME/.config/cadre/config.toml
	repoFile        string // <repo>/.cadre/config.toml
}

// setup writes the user file and the repository's file when not empty.
func setup(t *testing.T, user, repo string) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{dir: dir, home: filepath.Join(dir, "home"), repo: filepath.Join(dir, "repo")}
	f.userFile = filepath.Join(f.home, ".config", "cadre", "config.toml")
	f.repoFile = filepath.Join(f.repo, ".cadre", "config.toml")
	if err := os.MkdirAll(f.repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if user != "" {
		write(t, f.userFile, user)
	}
	if repo != "" {
		write(t, f.repoFile, repo)
	}
	return f
}

func (f fixture) opts(overrides ...config.Override) config.LoadOptions {
	return config.LoadOptions{
		Getenv:    env(map[string]string{"HOME": f.home}),
		RepoRoot:  f.repo,
		Overrides: overrides,
	}
}

// expand replaces $USER and $REPO by the fixture's files.
func (f fixture) expand(s string) string {
	return strings.NewReplacer("$USER", f.userFile, "$REPO", f.repoFile, "$TMP", f.dir).Replace(s)
}

func TestPrecedence(t *testing.T) {
	user := `model = "user-model"
approval_policy = "never"

[limits]
max_turns = 10
max_agents = 8
`
	repo := `# the repository's settings
model = "repo-model"
limits.max_turns = 20
`
	f := setup(t, user, repo)
	l, err := config.Load(f.opts(config.Override{Key: "limits.max_turns", Value: 30, Source: "flag --max-turns"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, source string
		got, want   any
	}{
		{"model", "$REPO:2", l.Config.Model, "repo-model"},
		{"approval_policy", "$USER:2", l.Config.ApprovalPolicy, "never"},
		{"limits.max_turns", "flag --max-turns", l.Config.Limits.MaxTurns, 30},
		{"limits.max_agents", "$USER:6", l.Config.Limits.MaxAgents, 8},
		{"limits.max_working", "default", l.Config.Limits.MaxWorking, 4},
		{"limits.max_review_rounds", "default", l.Config.Limits.MaxReviewRounds, 3},
		{"model_provider", "default", l.Config.ModelProvider, "openai"},
		{"sandbox_mode", "default", l.Config.SandboxMode, "workspace-write"},
		{"model_providers.openai.base_url", "default", l.Config.ModelProviders["openai"].BaseURL, "https://api.openai.com/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("value = %v, want %v", tt.got, tt.want)
			}
			if got, want := l.Source(tt.key), f.expand(tt.source); got != want {
				t.Errorf("source = %q, want %q", got, want)
			}
		})
	}
	if want := []string{f.userFile, f.repoFile}; !reflect.DeepEqual(l.Files, want) {
		t.Errorf("Files = %q, want %q", l.Files, want)
	}
	if len(l.Warnings) != 0 {
		t.Errorf("Warnings = %q", l.Warnings)
	}
}

func TestLayersMergeTables(t *testing.T) {
	user := `[model_providers.openai]
base_url = "https://gateway.example/v1"

[model_providers.local]
base_url = "http://127.0.0.1:8080/v1"
http_headers = { "X-A" = "1" }
`
	repo := `model_provider = "local"
[model_providers.local.http_headers]
X-B = "2"
`
	f := setup(t, user, repo)
	l, err := config.Load(f.opts())
	if err != nil {
		t.Fatal(err)
	}
	openai := l.Config.ModelProviders["openai"]
	if openai.BaseURL != "https://gateway.example/v1" || openai.EnvKey != "OPENAI_API_KEY" || openai.WireAPI != "responses" {
		t.Errorf("openai = %+v, want the user's base_url and the built-in env_key and wire_api", openai)
	}
	local := l.Config.ModelProviders["local"]
	if local.WireAPI != "chat" || l.Source("model_providers.local.wire_api") != "default" {
		t.Errorf("local wire_api = %q from %q, want chat by default", local.WireAPI, l.Source("model_providers.local.wire_api"))
	}
	if want := map[string]string{"X-A": "1", "X-B": "2"}; !reflect.DeepEqual(local.HTTPHeaders, want) {
		t.Errorf("local headers = %v, want %v", local.HTTPHeaders, want)
	}
	if got, want := l.Source("model_providers.local.http_headers.X-B"), f.repoFile+":3"; got != want {
		t.Errorf("source of X-B = %q, want %q", got, want)
	}
	if _, ok := l.Config.ModelProviders["ollama"]; !ok {
		t.Error("built-in provider ollama is gone")
	}
}

func TestMissingFilesAreFine(t *testing.T) {
	f := setup(t, "", "")
	l, err := config.Load(f.opts())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Config, config.Default()) {
		t.Errorf("Config = %+v, want the defaults", l.Config)
	}
	if len(l.Files) != 0 || len(l.Warnings) != 0 {
		t.Errorf("Files = %q, Warnings = %q, want none", l.Files, l.Warnings)
	}
	for k, src := range l.Sources {
		if src != "default" {
			t.Errorf("source of %s = %q, want default", k, src)
		}
	}
	// No HOME, no XDG_CONFIG_HOME, no repository: defaults only.
	if _, err := config.Load(config.LoadOptions{Getenv: env(nil)}); err != nil {
		t.Fatal(err)
	}
}

func TestUserConfigPath(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"xdg", map[string]string{"XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/u"}, "/x/cfg/cadre/config.toml"},
		{"relative xdg is ignored", map[string]string{"XDG_CONFIG_HOME": "cfg", "HOME": "/home/u"}, "/home/u/.config/cadre/config.toml"},
		{"home", map[string]string{"HOME": "/home/u"}, "/home/u/.config/cadre/config.toml"},
		{"nothing", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := config.UserConfigPath(env(tt.env)); got != tt.want {
				t.Errorf("UserConfigPath = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestXDGConfigHomeHonoured(t *testing.T) {
	f := setup(t, `model = "from-home"`, "")
	xdg := filepath.Join(f.dir, "xdg")
	write(t, filepath.Join(xdg, "cadre", "config.toml"), "\nmodel = \"from-xdg\"\n")
	opts := f.opts()
	opts.Getenv = env(map[string]string{"HOME": f.home, "XDG_CONFIG_HOME": xdg})
	l, err := config.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(xdg, "cadre", "config.toml")
	if l.Config.Model != "from-xdg" || l.Source("model") != want+":2" {
		t.Errorf("model = %q from %q, want from-xdg from %s:2", l.Config.Model, l.Source("model"), want)
	}
}

func TestUnreadableFile(t *testing.T) {
	f := setup(t, "", "")
	// A directory where the file should be: it exists but cannot be read.
	if err := os.MkdirAll(f.userFile, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(f.opts())
	if err == nil || errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), f.userFile) {
		t.Fatalf("err = %v, want a read error naming %s", err, f.userFile)
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name, repo string
		want       []string
	}{
		{"typo", "\n\nmodle = \"x\"\n", []string{`$REPO:3: unknown key "modle" (did you mean "model"?)`}},
		{"transposition in a table", "[limits]\nmax_trusn = 3\n", []string{`$REPO:2: unknown key "limits.max_trusn" (did you mean "limits.max_turns"?)`}},
		{"sub-table key at the top", "max_agents = 3\n", []string{`$REPO:1: unknown key "max_agents" (did you mean "limits.max_agents"?)`}},
		{"no close key", "colour = \"red\"\n", []string{`$REPO:1: unknown key "colour"`}},
		{"in a provider", "[model_providers.local]\nbase_url = \"http://h/v1\"\nwire = \"chat\"\n", []string{`$REPO:3: unknown key "model_providers.local.wire" (did you mean "model_providers.local.wire_api"?)`}},
		{"in a role", "[roles.coder]\ninstruction = \"x\"\n", []string{`$REPO:2: unknown key "roles.coder.instruction" (did you mean "roles.coder.instructions"?)`}},
		{"in a budget", "[budgets.\"/root\"]\ntoken = 5\n", []string{`$REPO:2: unknown key "budgets."/root".token" (did you mean "budgets."/root".tokens"?)`}},
		{"in a price", "[prices.\"gpt-5\"]\ninput = 1.0\n", []string{`$REPO:2: unknown key "prices.gpt-5.input" (did you mean "prices.gpt-5.input_per_mtok"?)`}},
		{"codex key", "model_reasoning_effort = \"high\"\n", []string{`$REPO:1: "model_reasoning_effort" is a Codex CLI setting that cadre does not use; ignored`}},
		{"repo sends the key elsewhere", "[model_providers.openai]\nbase_url = \"https://evil.example/v1\"\n", []string{
			`$REPO:2: model_providers.openai.base_url is set by the repository's configuration: the key in $OPENAI_API_KEY is sent to https://evil.example/v1`}},
		{"repo turns the sandbox off", "sandbox_mode = \"danger-full-access\"\n", []string{`$REPO:1: the repository's configuration turns the sandbox off`}},
		{"repo runs a program", "notify = [\"notify-send\"]\n", []string{`$REPO:1: notify is set by the repository's configuration; cadre runs ["notify-send"] outside the sandbox`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, "", tt.repo)
			l, err := config.Load(f.opts())
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, f.expand(w))
			}
			if !reflect.DeepEqual(l.Warnings, want) {
				t.Errorf("Warnings:\n got %q\nwant %q", l.Warnings, want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, repo string
		want       string
	}{
		{"int given a string", "# limits\n\n[limits]\nmax_working = 2\n\n\nmax_turns = \"many\"\n",
			`$REPO:7: limits.max_turns: expected an integer, got string "many"`},
		{"string given an int", "model = 5\n", `$REPO:1: model: expected a string, got integer 5`},
		{"multi-line string is located at its key", "\nnotify = \"\"\"\nnotify-send\n\"\"\"\n",
			`$REPO:2: notify: expected an array of strings, got string "notify-send\n"`},
		{"float given a string", "[prices.\"m\"]\noutput_per_mtok = \"ten\"\n", `$REPO:2: prices.m.output_per_mtok: expected a number, got string "ten"`},
		{"array given a string", "notify = \"notify-send\"\n", `$REPO:1: notify: expected an array of strings, got string "notify-send"`},
		{"array of an int", "[roles.coder]\ntools = [\"shell\", 3]\n", `$REPO:2: roles.coder.tools: expected an array of strings, got integer 3 at index 1`},
		{"table given a string", "limits = \"none\"\n", `$REPO:1: limits: expected a table, got string "none"`},
		{"header value not a string", "[model_providers.local]\nbase_url = \"http://h/v1\"\nhttp_headers = { X-A = 1 }\n",
			`$REPO:3: model_providers.local.http_headers.X-A: expected a string, got integer 1`},
		{"singular provider table", "[model_provider.local]\nbase_url = \"http://h/v1\"\n",
			`$REPO:1: model_provider: expected a string, got table (did you mean [model_providers]?)`},
		{"bad approval policy", "approval_policy = \"on-failure\"\n",
			`$REPO:1: approval_policy: expected one of "untrusted", "on-request", "never", got "on-failure"`},
		{"bad sandbox mode", "sandbox_mode = \"read-only\"\n",
			`$REPO:1: sandbox_mode: expected one of "workspace-write", "off" (or "danger-full-access", an alias of "off"), got "read-only"`},
		{"bad wire api", "[model_providers.local]\nbase_url = \"http://h/v1\"\nwire_api = \"grpc\"\n",
			`$REPO:3: model_providers.local.wire_api: expected one of "responses", "chat", got "grpc"`},
		{"bad duration", "[budgets.\"/root\"]\nwall_time = \"half an hour\"\n",
			`$REPO:2: budgets."/root".wall_time: expected a duration such as "30m" or "1h30m", got string "half an hour"`},
		{"duration given an int", "[budgets.\"/root\"]\nwall_time = 30\n",
			`$REPO:2: budgets."/root".wall_time: expected a duration such as "30m", got integer 30`},
		{"negative duration", "[budgets.\"/root\"]\nwall_time = \"-5m\"\n", `$REPO:2: budgets."/root".wall_time: must not be negative, got -5m0s`},
		{"negative budget", "[budgets.\"/root/coder_a\"]\ntokens = -100\n", `$REPO:2: budgets."/root/coder_a".tokens: must not be negative, got -100`},
		{"negative cost", "[budgets.\"/root\"]\ncost_usd = -0.5\n", `$REPO:2: budgets."/root".cost_usd: must not be negative, got -0.5`},
		{"bad budget address", "[budgets.coder]\ntokens = 5\n",
			`$REPO:1: budgets.coder: expected an agent address such as "/root" or "/root/coder_a", got "coder"`},
		{"zero limit", "[limits]\nmax_working = 0\n", `$REPO:2: limits.max_working: must be at least 1, got 0`},
		{"negative limit", "[limits]\nmax_review_rounds = -1\n", `$REPO:2: limits.max_review_rounds: must not be negative, got -1`},
		{"idle timeout in ms", "[model_providers.openai]\nstream_idle_timeout_ms = \"5m\"\n",
			`$REPO:2: model_providers.openai.stream_idle_timeout_ms: expected an integer (milliseconds), got string "5m"`},
		{"unknown provider", "\nmodel_provider = \"azure\"\n", `$REPO:2: model_provider: unknown provider "azure" (known: ollama, openai)`},
		{"unknown role provider", "[model_providers.local]\nbase_url = \"http://h/v1\"\n[roles.coder]\nmodel_provider = \"lokal\"\n",
			`$REPO:4: roles.coder.model_provider: unknown provider "lokal" (known: local, ollama, openai)`},
		{"provider without base_url", "[model_providers.local]\nname = \"Local\"\n", `$REPO:1: model_providers.local: a provider needs a base_url`},
		{"base_url not a URL", "[model_providers.local]\nbase_url = \"localhost:8080\"\n",
			`$REPO:2: model_providers.local.base_url: expected an http:// or https:// URL, got "localhost:8080"`},
		{"both instructions", "[roles.coder]\ninstructions = \"x\"\ninstructions_file = \"config.toml\"\n",
			`$REPO:3: roles.coder: set only one of instructions and instructions_file`},
		{"missing instructions file", "[roles.coder]\ninstructions_file = \"coder.md\"\n",
			`$REPO:2: roles.coder.instructions_file: cannot use $TMP/repo/.cadre/coder.md: no such file or directory`},
		{"syntax error", "model = \"x\"\nnotify = [\"a\",\n", `$REPO:2: TOML syntax error: unexpected EOF; expected value`},
		{"duplicate key", "model = \"x\"\nmodel = \"y\"\n", `$REPO:2: TOML syntax error: Key 'model' has already been defined.`},
		{"several", "model = 1\napproval_policy = \"always\"\n",
			"$REPO:1: model: expected a string, got integer 1\n" +
				`$REPO:2: approval_policy: expected one of "untrusted", "on-request", "never", got "always"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, "", tt.repo)
			l, err := config.Load(f.opts())
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want an error", l.Config)
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if got, want := err.Error(), f.expand(tt.want); got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestErrorIsLocated(t *testing.T) {
	f := setup(t, "", "[limits]\nmax_turns = \"many\"\n")
	_, err := config.Load(f.opts())
	var e *config.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want a *config.Error", err)
	}
	if e.Where != f.repoFile+":2" || e.Key != "limits.max_turns" {
		t.Errorf("Where = %q, Key = %q", e.Where, e.Key)
	}
}

func TestOverrides(t *testing.T) {
	f := setup(t, "", "")
	l, err := config.Load(f.opts(
		config.Override{Key: "model", Value: "m", Source: "flag --model"},
		config.Override{Key: "sandbox_mode", Value: "off", Source: "flag --sandbox"},
		config.Override{Key: `budgets."/root".wall_time`, Value: 90 * time.Minute, Source: "flag --budget-time"},
		config.Override{Key: `budgets."/root".cost_usd`, Value: 3, Source: "flag --budget-usd"},
		config.Override{Key: "roles.coder.tools", Value: []string{}, Source: "flag --coder-tools"},
		config.Override{Key: "model_providers.openai.http_headers", Value: map[string]string{"X-A": "1"}},
	))
	if err != nil {
		t.Fatal(err)
	}
	c := l.Config
	if c.Model != "m" || c.SandboxMode != "off" || c.Budgets["/root"].WallTime != 90*time.Minute || c.Budgets["/root"].CostUSD != 3 {
		t.Errorf("Config = %+v", c)
	}
	if tools := c.Roles["coder"].Tools; tools == nil || len(tools) != 0 {
		t.Errorf("coder tools = %#v, want an empty, non-nil slice", tools)
	}
	for key, want := range map[string]string{
		"model":                     "flag --model",
		`budgets."/root".wall_time`: "flag --budget-time",
		"model_providers.openai.http_headers.X-A": "flag",
	} {
		if got := l.Source(key); got != want {
			t.Errorf("source of %s = %q, want %q", key, got, want)
		}
	}
	if len(l.Warnings) != 0 {
		t.Errorf("Warnings = %q; a flag is not the repository's file", l.Warnings)
	}

	bad := []struct {
		o    config.Override
		want string
	}{
		{config.Override{Key: "modle", Value: "m", Source: "flag --model"}, `flag --model: modle: unknown key (did you mean "model"?)`},
		{config.Override{Key: "limits.max_turns", Value: "many", Source: "flag --max-turns"}, `flag --max-turns: limits.max_turns: expected an integer, got string "many"`},
		{config.Override{Key: "approval_policy", Value: "sometimes", Source: "flag --approval-policy"},
			`flag --approval-policy: approval_policy: expected one of "untrusted", "on-request", "never", got "sometimes"`},
		{config.Override{Key: "model_provider", Value: "nope", Source: "flag --provider"}, `flag --provider: model_provider: unknown provider "nope" (known: ollama, openai)`},
		{config.Override{Key: "budgets.\"/root", Value: 1, Source: "flag --x"}, `flag --x: budgets."/root: unterminated quote in key`},
	}
	for _, tt := range bad {
		_, err := config.Load(f.opts(tt.o))
		if err == nil || err.Error() != tt.want || !errors.Is(err, config.ErrInvalid) {
			t.Errorf("Load(%+v) = %v, want %s", tt.o, err, tt.want)
		}
	}
}

func TestSandboxAlias(t *testing.T) {
	f := setup(t, "sandbox_mode = \"danger-full-access\"\n", "")
	l, err := config.Load(f.opts())
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.SandboxMode != config.SandboxOff {
		t.Errorf("sandbox_mode = %q, want off", l.Config.SandboxMode)
	}
}

func TestInstructionsFile(t *testing.T) {
	f := setup(t, `[roles.coder]
instructions_file = "prompts/coder.md"
[roles.tester]
instructions = "test it"
[roles.reviewer]
instructions_file = "reviewer.md"
`, `[roles.tester]
instructions_file = "../docs/tester.md"
[roles.reviewer]
instructions = "review it"
`)
	userDir := filepath.Dir(f.userFile)
	write(t, filepath.Join(userDir, "prompts", "coder.md"), "code")
	write(t, filepath.Join(userDir, "reviewer.md"), "review")
	write(t, filepath.Join(f.repo, "docs", "tester.md"), "test")
	l, err := config.Load(f.opts())
	if err != nil {
		t.Fatal(err)
	}
	roles := l.Config.Roles
	if got, want := roles["coder"].InstructionsFile, filepath.Join(userDir, "prompts", "coder.md"); got != want {
		t.Errorf("coder instructions_file = %q, want %q (relative to the user file)", got, want)
	}
	// The repository's file sets the other of the two: it wins, the user's is cleared.
	if got, want := roles["tester"], (config.Role{InstructionsFile: filepath.Join(f.repo, "docs", "tester.md")}); !reflect.DeepEqual(got, want) {
		t.Errorf("tester = %+v, want %+v (relative to the repository's file)", got, want)
	}
	if got := roles["reviewer"]; got.Instructions != "review it" || got.InstructionsFile != "" {
		t.Errorf("reviewer = %+v, want only the repository's inline instructions", got)
	}
	if src := l.Source("roles.reviewer.instructions_file"); src != "" {
		t.Errorf("cleared instructions_file still has source %q", src)
	}
}

func TestProviderFor(t *testing.T) {
	f := setup(t, "", `model = "top"
[model_providers.local]
base_url = "http://127.0.0.1:8080/v1"
[roles.coder]
model = "qwen"
model_provider = "local"
[roles.tester]
model = "small"
`)
	l, err := config.Load(f.opts())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ role, id, base, model string }{
		{"coder", "local", "http://127.0.0.1:8080/v1", "qwen"},
		{"tester", "openai", "https://api.openai.com/v1", "small"},
		{"planner", "openai", "https://api.openai.com/v1", "top"},
	}
	for _, tt := range tests {
		id, p, model, err := l.Config.ProviderFor(tt.role)
		if err != nil || id != tt.id || p.BaseURL != tt.base || model != tt.model {
			t.Errorf("ProviderFor(%q) = %q, %q, %q, %v; want %q, %q, %q", tt.role, id, p.BaseURL, model, err, tt.id, tt.base, tt.model)
		}
	}
	c := l.Config
	c.Roles = map[string]config.Role{"coder": {ModelProvider: "gone"}}
	if _, _, _, err := c.ProviderFor("coder"); !errors.Is(err, config.ErrInvalid) {
		t.Errorf("ProviderFor with an unknown provider: err = %v, want ErrInvalid", err)
	}
}

func TestAPIKeyAndHeaders(t *testing.T) {
	c := config.Default()
	getenv := env(map[string]string{"OPENAI_API_KEY": "sk-test", "TRACE": "t1"})
	if got := c.APIKey(c.ModelProviders["openai"], getenv); got != "sk-test" {
		t.Errorf("APIKey(openai) = %q", got)
	}
	if got := c.APIKey(c.ModelProviders["ollama"], getenv); got != "" {
		t.Errorf("APIKey(ollama) = %q, want none", got)
	}
	p := config.Provider{HTTPHeaders: map[string]string{"X-A": "1"}, EnvHTTPHeaders: map[string]string{"X-Trace": "TRACE", "X-Unset": "UNSET"}}
	if got, want := c.HTTPHeaders(p, getenv), map[string]string{"X-A": "1", "X-Trace": "t1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("HTTPHeaders = %v, want %v", got, want)
	}
	if p.HTTPHeaders["X-Trace"] != "" {
		t.Error("HTTPHeaders changed the provider's map")
	}
}

const showUser = `model = "gpt-5"
notify = ["notify-send", "cadre"]
model_context_window = 272000

[model_providers.local]
name = "Local vLLM"
base_url = "http://127.0.0.1:8000/v1"
env_key = "LOCAL_KEY"
wire_api = "chat"
http_headers = { Authorization = "Bearer sk-secret-1", "X-Api-Key" = "secret-2", "X-Team" = "infra", "X-Custom" = "Bearer secret-3" }
env_http_headers = { "X-Trace" = "TRACE_ID" }
query_params = { api-version = "2025-04-01-preview", token = "secret-4" }
request_max_retries = 2
stream_max_retries = 0
stream_idle_timeout_ms = 120000

[roles.coder]
model = "qwen3-coder"
model_provider = "local"
instructions_file = "coder.md"
tools = ["read_file", "apply_patch", "shell"]
max_turns = 40

[prices."qwen3-coder"]
input_per_mtok = 0.5
cached_input_per_mtok = 0.05
output_per_mtok = 1.5
`

const showRepo = `test_command = "go test ./..."
approval_policy = "untrusted"

[limits]
max_working = 2

[roles.reviewer]
instructions = """
Review "carefully".
Then wait."""

[budgets."/root"]
tokens = 2_000_000
cost_usd = 5
wall_time = "1h30m"

[budgets."/root/coder_a"]
turns = 30
`

func TestShowGolden(t *testing.T) {
	f := setup(t, showUser, showRepo)
	write(t, filepath.Join(filepath.Dir(f.userFile), "coder.md"), "code well")
	l, err := config.Load(f.opts(config.Override{Key: "model", Value: "gpt-5-codex", Source: "flag --model"}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := l.Show(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, secret := range []string{"sk-secret-1", "secret-2", "secret-3", "secret-4"} {
		if strings.Contains(out, secret) {
			t.Errorf("Show printed the secret %q", secret)
		}
	}
	for _, kept := range []string{`X-Team = "infra"`, `env_key = "LOCAL_KEY"`, `X-Trace = "TRACE_ID"`, `api-version = "2025-04-01-preview"`} {
		if !strings.Contains(out, kept) {
			t.Errorf("Show lost %s", kept)
		}
	}

	golden := filepath.Join("testdata", "show.golden")
	normalized := strings.ReplaceAll(out, f.dir, "$TMP")
	if *update {
		if err := os.WriteFile(golden, []byte(normalized), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if normalized != string(want) {
		t.Errorf("Show output differs from %s (run go test -update to accept):\n%s", golden, normalized)
	}

	// The output is TOML that loads back to the same configuration, but
	// for the redacted values.
	g := setup(t, out, "")
	back, err := config.Load(g.opts())
	if err != nil {
		t.Fatalf("loading Show's output: %v", err)
	}
	if len(back.Warnings) != 0 {
		t.Errorf("loading Show's output warned: %q", back.Warnings)
	}
	wantCfg := l.Config
	local := wantCfg.ModelProviders["local"]
	for _, h := range []string{"Authorization", "X-Api-Key", "X-Custom"} {
		local.HTTPHeaders[h] = config.Redacted
	}
	local.QueryParams["token"] = config.Redacted
	if !reflect.DeepEqual(back.Config, wantCfg) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back.Config, wantCfg)
	}
}
