package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/actors/model/scripted"
)

// ModelServerOptions are the options of `cadre model-server`.
type ModelServerOptions struct {
	IO     IOStreams
	Script string
	Addr   string
}

// NewCmdModelServer builds `cadre model-server`: the scripted stand-in for
// an OpenAI-compatible server, to rehearse a team offline.
func NewCmdModelServer(f *Factory, runF func(context.Context, *ModelServerOptions) error) *cobra.Command {
	opts := &ModelServerOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "model-server --script FILE [--addr 127.0.0.1:PORT]",
		Short: "Serve a script as an OpenAI-compatible API (a scripted stand-in, not a model)",
		Long: `model-server plays a script of model turns over real HTTP: POST
/v1/chat/completions and /v1/responses (streaming or not) and GET /v1/models.
Each agent (found by its X-Cadre-Agent header or the "address:" line of its
instructions) gets its own list of turns; the turn is chosen from how many
assistant turns the request already holds, so the server keeps no state but
fault counters. It is a stand-in for rehearsing teams and testing, not a
model: it answers only what the script says.`,
		Example: `  cadre model-server --script team.json --addr 127.0.0.1:8089 &
  cadre run --base-url http://127.0.0.1:8089/v1 --model cadre-scripted "the task"`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if opts.Script == "" {
				return usagef("model-server needs --script FILE")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			script, err := scripted.LoadScript(opts.Script)
			if err != nil {
				return usageError{err}
			}
			return scripted.ListenAndServe(c.Context(), opts.Addr, script, opts.IO.ErrOut)
		},
	}
	cmd.Flags().StringVar(&opts.Script, "script", "", "script file (JSON)")
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8089", "address to listen on")
	_ = cmd.MarkFlagFilename("script", "json")
	return cmd
}
