// Package config loads cadre's layered TOML configuration.
//
// It owns the configuration's schema (the [Config] types and their keys),
// its defaults, where each value came from, and how it is shown; it does
// not own what the values do. The layers, each overriding the one before key
// by key:
//
//	defaults ─► user file ─► repository file ─► flags
//	            $XDG_CONFIG_HOME/cadre/config.toml (else ~/.config/cadre/config.toml)
//	                         <repo>/.cadre/config.toml
//	                                              [Override]s, in order
//
// Keys mean what Codex CLI users know where they mean the same thing:
// model, model_provider, [model_providers.<id>] (name, base_url, env_key,
// wire_api, http_headers, env_http_headers, query_params,
// request_max_retries, stream_max_retries, stream_idle_timeout_ms),
// approval_policy, sandbox_mode, model_context_window,
// model_auto_compact_token_limit, notify. cadre's own keys are [roles.<name>],
// [limits], [budgets."<address>"], [prices."<model>"] and test_command.
//
// Tables merge key by key: a repository file setting
// model_providers.openai.base_url keeps the built-in provider's env_key.
// Arrays (notify, tools) are replaced whole. A role's instructions and
// instructions_file exclude each other: the latest layer's wins.
//
// Problems with the content are errors of type *[Error] wrapping
// [ErrInvalid], located at the file and line (or flag) that set the value:
//
//	/repo/.cadre/config.toml:7: limits.max_turns: expected an integer, got string "many"
//
// An unknown key in a file is a warning with the closest known key; in an
// [Override] it is an error, since the caller made it.
//
// Secrets: a [Config] never holds an API key, only the name of the
// variable that holds it ([Config.APIKey] reads it when needed), and
// [Loaded.Show] redacts header and query values that look like credentials.
// Because a repository's file is written by whoever wrote the repository,
// Load warns when it runs a program outside the sandbox (notify), turns the
// sandbox off, or chooses where an API key is sent.
package config
