package tools_test

import (
	"fmt"
	"os"

	"github.com/cadre-dev/cadre/actors/tools"
)

func ExampleApplyPatch() {
	root, err := os.MkdirTemp("", "worktree")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)

	res, err := tools.ApplyPatch(root, `*** Begin Patch
*** Add File: hello.txt
+hello
+world
*** End Patch`)
	fmt.Println(res.Output, err)

	res, err = tools.ApplyPatch(root, `*** Begin Patch
*** Update File: hello.txt
 hello
-world
+gophers
*** End Patch`)
	fmt.Println(res.Output, res.Changed, err)

	_, err = tools.ApplyPatch(root, `*** Begin Patch
*** Add File: ../escape.txt
+x
*** End Patch`)
	fmt.Println(err)
	// Output:
	// A hello.txt <nil>
	// M hello.txt [hello.txt] <nil>
	// add ../escape.txt: path outside the worktree: "../escape.txt" climbs out of the worktree (no file was changed)
}
