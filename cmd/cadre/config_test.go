package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func writeRepoConfig(t *testing.T, repo, text string) string {
	t.Helper()
	dir := filepath.Join(repo, ".cadre")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigShow(t *testing.T) {
	repo := t.TempDir()
	path := writeRepoConfig(t, repo, "model = \"repo-model\"\nmodle = \"typo\"\n[limits]\nmax_turns = 7\n")
	out, stderr, code := runCadre(t, t.TempDir(), "config", "show", "--repo", repo)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`model = "repo-model"  # ` + path + `:1`, `max_turns = 7  # ` + path + `:4`, `max_working = 4  # default`} {
		if !strings.Contains(out, want) {
			t.Errorf("config show does not print %q:\n%s", want, out)
		}
	}
	if want := path + `:2: unknown key "modle" (did you mean "model"?)`; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not warn %q", stderr, want)
	}
	// The environment wins over the files.
	cmd := []string{"config", "show", "--repo", repo}
	t.Setenv("CADRE_MODEL", "env-model")
	out, _, _ = runCadre(t, t.TempDir(), cmd...)
	if !strings.Contains(out, `model = "env-model"  # env CADRE_MODEL`) {
		t.Errorf("CADRE_MODEL does not win:\n%s", out)
	}
}

func TestBadConfigIsAUsageErrorWithFileAndLine(t *testing.T) {
	repo := sampleRepo(t)
	path := writeRepoConfig(t, repo, "[limits]\nmax_turns = \"many\"\n")
	for _, args := range [][]string{{"config", "show", "--repo", repo}, {"exec", "--repo", repo, "task"}} {
		_, stderr, code := runCadre(t, t.TempDir(), args...)
		want := path + `:2: limits.max_turns: expected an integer, got string "many"`
		if code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", args, code, stderr, want)
		}
	}
}

// A run configured only by the repository's file: its provider (the
// scripted server, Chat Completions), a stronger model for one role, and
// no key sent because the provider names none.
func TestRunUsesTheRepositoryConfiguration(t *testing.T) {
	repo := sampleRepo(t)
	script := `{"agents":{
		"/root":[{"tool_calls":[{"name":"spawn_agent","arguments":{"role":"reviewer","name":"rev","task":"look"}}]},
		         {"tool_calls":[{"name":"wait","arguments":{"from":["/root/rev"]}}]},
		         {"text":"configured run done"}],
		"/root/rev":[{"text":"looked"}]}}`
	var mu sync.Mutex
	models := map[string]string{}
	auth := map[string]string{}
	wires := map[string]bool{}
	_, url := startScripted(t, []byte(script), func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req struct {
				Model string `json:"model"`
			}
			_ = json.Unmarshal(body, &req)
			mu.Lock()
			models[r.Header.Get("X-Cadre-Agent")] = req.Model
			auth[r.Header.Get("X-Cadre-Agent")] = r.Header.Get("Authorization")
			wires[r.URL.Path] = true
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	})
	writeRepoConfig(t, repo, `model = "base-model"
model_provider = "scripted"
sandbox_mode = "off"

[model_providers.scripted]
base_url = "`+url+`"
wire_api = "chat"

[roles.reviewer]
model = "strong-model"

[budgets."/root/rev"]
turns = 5
`)
	t.Setenv("OPENAI_API_KEY", "sk-must-not-be-sent")
	state := t.TempDir()
	out, stderr, code := runCadre(t, state, "exec", "--repo", repo, "review it")
	if code != 0 || !strings.Contains(out, "configured run done") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
	// cadre show sums each subtree and shows its budget.
	id := regexp.MustCompile(`"run":"(r-[0-9a-z-]+)"`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no run id in %s", out)
	}
	show, stderr, code := runCadre(t, state, "show", id[1])
	if code != 0 {
		t.Fatalf("show: exit %d %s", code, stderr)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^SUBTREE\s+AGENTS\s+IN\s+CACHED\s+OUT\s+COST\s+BUDGET$`),
		regexp.MustCompile(`(?m)^/root\s+2\s+\d+\s+\d+\s+\d+\s+\$0\.0000\s+-$`),
		regexp.MustCompile(`(?m)^/root/rev\s+1\s+\d+\s+\d+\s+\d+\s+\$0\.0000\s+5 turns$`),
	} {
		if !want.MatchString(show) {
			t.Errorf("show does not match %s:\n%s", want, show)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if models["/root"] != "base-model" || models["/root/rev"] != "strong-model" {
		t.Errorf("models by agent: %v", models)
	}
	for a, h := range auth {
		if h != "" {
			t.Errorf("%s sent Authorization %q to a provider without env_key", a, h)
		}
	}
	if !wires["/v1/chat/completions"] || wires["/v1/responses"] {
		t.Errorf("paths used: %v, want chat completions only", wires)
	}
}
