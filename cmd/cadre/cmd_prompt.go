package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cadre-dev/cadre/actors"
	"github.com/cadre-dev/cadre/actors/model"
)

// PromptOptions are the options of `cadre prompt`.
type PromptOptions struct {
	IO       IOStreams
	Role     string
	WireAPI  string
	Model    string
	Task     string
	AgentsMD string // file whose text is given as project instructions
	JSON     bool
}

// NewCmdPrompt builds `cadre prompt ROLE`: the HTTP body of a role's first
// model request, built by the model client's own code, and its size.
func NewCmdPrompt(f *Factory) *cobra.Command {
	opts := &PromptOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "prompt ROLE [--wire-api responses|chat] [--model M] [--task T] [--json]",
		Short: "Print what a role's first model request sends, and its size",
		Long: `prompt prints the HTTP JSON body an agent of ROLE sends in its first model
request: its instructions, its tools and its first user item (the task).
Every later request repeats it as a prefix. The body is built by the model
client's own code without sending anything; its size in bytes and an
estimate of its tokens (bytes/4) follow it, on stderr with --json, where
stdout gets the body exactly as sent.

Roles: ` + strings.Join(actors.RoleNames(), ", ") + `.`,
		Example: `  cadre prompt coder
  cadre prompt planner --wire-api chat --task "rename Foo to Bar" --json | jq .tools[].name`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("prompt needs one ROLE (%s), got %d arguments", strings.Join(actors.RoleNames(), ", "), len(args))
			}
			opts.Role = args[0]
			return promptRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.WireAPI, "wire-api", string(model.WireResponses), `"responses" or "chat"`)
	fl.StringVar(&opts.Model, "model", "gpt-5-codex", "model id put in the body")
	fl.StringVar(&opts.Task, "task", "", `the task (default "<task>")`)
	fl.StringVar(&opts.AgentsMD, "agents-md", "", "file given as project instructions, like a repository's AGENTS.md")
	fl.BoolVar(&opts.JSON, "json", false, "print the body exactly as sent, the size on stderr")
	_ = cmd.RegisterFlagCompletionFunc("wire-api", cobra.FixedCompletions([]string{"responses", "chat"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.ValidArgs = actors.RoleNames()
	return cmd
}

func promptRun(opts *PromptOptions) error {
	if _, err := actors.LookupRole(opts.Role); err != nil {
		return usagef("unknown role %q (roles: %s)", opts.Role, strings.Join(actors.RoleNames(), ", "))
	}
	wire := model.WireAPI(opts.WireAPI)
	if wire != model.WireResponses && wire != model.WireChat {
		return usagef("--wire-api must be %q or %q, not %q", model.WireResponses, model.WireChat, opts.WireAPI)
	}
	if strings.TrimSpace(opts.Model) == "" {
		return usagef("--model must not be empty")
	}
	var project string
	if opts.AgentsMD != "" {
		b, err := os.ReadFile(opts.AgentsMD)
		if err != nil {
			return usageError{fmt.Errorf("--agents-md: %w", err)}
		}
		project = string(b)
	}
	req, err := actors.FirstRequest(opts.Role, actors.FirstRequestOptions{Task: opts.Task, Project: project})
	if err != nil {
		return fmt.Errorf("build the first request of %s: %w", opts.Role, err)
	}
	body, err := model.RequestBody(model.Config{Model: opts.Model, WireAPI: wire}, req)
	if err != nil {
		return fmt.Errorf("build the request body of %s: %w", opts.Role, err)
	}
	size := promptSize(body, req)
	if opts.JSON {
		if _, err := fmt.Fprintf(opts.IO.Out, "%s\n", body); err != nil {
			return err
		}
		fmt.Fprintln(opts.IO.ErrOut, size)
		return nil
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		return fmt.Errorf("indent the request body: %w", err)
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s\n\n%s\n", pretty.Bytes(), size)
	return err
}

// promptSize describes a body's size: all of it, then its instructions and
// its tool declarations.
func promptSize(body []byte, req model.Request) string {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(body, &fields)
	tools := len(fields["tools"])
	return fmt.Sprintf("%d bytes, ~%d tokens (instructions %d bytes ~%d tokens, tools %d bytes ~%d tokens)",
		len(body), actors.EstimateTokens(body),
		len(req.Instructions), actors.EstimateTokens([]byte(req.Instructions)),
		tools, actors.EstimateTokens(fields["tools"]))
}
