package scripted_test

import (
	"context"
	"fmt"

	"github.com/cadre-dev/cadre/actors/model"
	"github.com/cadre-dev/cadre/actors/model/scripted"
)

// A script for one agent is played turn by turn to the real model client.
func Example() {
	script, err := scripted.ParseScript([]byte(`{
	  "agents": {
	    "/root": [
	      {"tool_calls": [{"name": "read_file", "arguments": {"path": "add.go"}}]},
	      {"text": "All done."}
	    ]
	  }
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := scripted.NewServer(script)
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	client, err := model.New(model.Config{BaseURL: base, Model: scripted.ModelID, WireAPI: model.WireChat})
	if err != nil {
		fmt.Println(err)
		return
	}
	req := model.Request{Agent: "/root", Input: []model.Item{{Role: model.RoleUser, Text: "Fix add.go"}}}
	turn, err := client.Turn(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	call := turn.ToolCalls[0]
	fmt.Println(call.Name, call.Arguments)

	req.Input = append(req.Input,
		model.Item{Role: model.RoleAssistant, ToolCalls: turn.ToolCalls},
		model.Item{Role: model.RoleTool, CallID: call.ID, Text: "package add"})
	turn, err = client.Turn(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(turn.Text)
	// Output:
	// read_file {"path":"add.go"}
	// All done.
}
