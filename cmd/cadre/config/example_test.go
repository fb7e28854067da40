package config_test

import (
	"fmt"
	"os"

	"github.com/cadre-dev/cadre/cmd/cadre/config"
)

func ExampleLoad() {
	l, err := config.Load(config.LoadOptions{
		Getenv: func(string) string { return "" }, // no HOME: no user file
		Overrides: []config.Override{
			{Key: "model_provider", Value: "ollama", Source: "flag --provider"},
			{Key: "model", Value: "qwen3-coder", Source: "flag --model"},
			{Key: "limits.max_working", Value: 2, Source: "flag --max-working"},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	id, p, model, _ := l.Config.ProviderFor("coder")
	fmt.Println(id, p.BaseURL, p.WireAPI, model)
	fmt.Printf("key sent: %q\n", l.Config.APIKey(p, os.Getenv))
	fmt.Println("max_working from", l.Source("limits.max_working"))
	fmt.Println("max_turns from", l.Source("limits.max_turns"))
	// Output:
	// ollama http://localhost:11434/v1 chat qwen3-coder
	// key sent: ""
	// max_working from flag --max-working
	// max_turns from default
}

func ExampleLoad_error() {
	_, err := config.Load(config.LoadOptions{
		Getenv:    func(string) string { return "" },
		Overrides: []config.Override{{Key: "approval_policy", Value: "always", Source: "flag --approval-policy"}},
	})
	fmt.Println(err)
	// Output:
	// flag --approval-policy: approval_policy: expected one of "untrusted", "on-request", "never", got "always"
}
