package tools

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cadre-dev/cadre/messaging"
)

// Spec describes a tool to a model: its name, what it does, and the JSON
// Schema of its arguments.
type Spec struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// Result is what a tool call produced.
type Result struct {
	// Output is the text shown to the model.
	Output string
	// Changed lists the worktree-relative paths (slash-separated) the call
	// wrote or removed, in the order they were touched.
	Changed []string
}

// Tool is one function a model can call.
type Tool interface {
	Spec() Spec
	// ReadOnly reports whether the tool never changes the worktree.
	ReadOnly() bool
	// Run validates args against the tool's schema and then executes it.
	Run(ctx context.Context, args json.RawMessage) (Result, error)
}

var (
	// ErrOutsideRoot marks a path that would leave the worktree: a ".."
	// escape, an absolute path outside it, a path through a symbolic link
	// leading outside, or a path inside .git.
	ErrOutsideRoot = errors.New("path outside the worktree")
	// ErrPatch marks a malformed patch or a hunk that does not apply. The
	// message names the file and the hunk or patch line.
	ErrPatch = errors.New("patch rejected")
	// ErrBinary marks a file that read_file refuses because it is not text.
	ErrBinary = errors.New("binary file")
)

//go:embed schemas/*.json
var schemaFS embed.FS

func mustSchema(name string) *messaging.Schema {
	raw, err := schemaFS.ReadFile("schemas/" + name + ".json")
	if err != nil {
		panic(fmt.Sprintf("tools: embedded schema %s: %v", name, err))
	}
	return messaging.MustCompileSchema(name, raw)
}

var (
	applyPatchSchema = mustSchema("apply_patch")
	readFileSchema   = mustSchema("read_file")
	listFilesSchema  = mustSchema("list_files")
	searchSchema     = mustSchema("search")
)

// FileTools returns apply_patch, read_file, list_files and search, in that
// order, all confined to root, which must be an absolute path to an existing
// directory (an agent's worktree). A bad root surfaces as an error from Run.
func FileTools(root string) []Tool {
	return []Tool{
		&tool[applyPatchArgs]{
			name:   "apply_patch",
			desc:   applyPatchDescription,
			schema: applyPatchSchema,
			exec: func(_ context.Context, a applyPatchArgs) (Result, error) {
				return ApplyPatch(root, a.Patch)
			},
		},
		&tool[readFileArgs]{
			name:     "read_file",
			desc:     "Read a text file. Lines are numbered; page through long files with offset and limit.",
			schema:   readFileSchema,
			readOnly: true,
			exec: func(ctx context.Context, a readFileArgs) (Result, error) {
				return readFile(ctx, root, a)
			},
		},
		&tool[listFilesArgs]{
			name:     "list_files",
			desc:     "List a directory as a tree; directories end in '/'; .git is skipped.",
			schema:   listFilesSchema,
			readOnly: true,
			exec: func(ctx context.Context, a listFilesArgs) (Result, error) {
				return listFiles(ctx, root, a)
			},
		},
		&tool[searchArgs]{
			name:     "search",
			desc:     "Search text files for a regular expression. Prints path:line: text per matching line.",
			schema:   searchSchema,
			readOnly: true,
			exec: func(ctx context.Context, a searchArgs) (Result, error) {
				return search(ctx, root, a)
			},
		},
	}
}

const applyPatchDescription = `Create, edit, move and delete files with a patch:
*** Begin Patch
*** Add File: path/new.go
+every line prefixed with +
*** Update File: path/old.go
*** Move to: path/renamed.go   (optional)
@@ func Example() {   (optional line that locates the hunk)
 context line (3 lines before and after each change)
-removed line
+added line
*** Delete File: path/gone.go
*** End Patch
Use "*** End of File" after a hunk that ends at the end of the file. All or nothing: if any hunk fails, no file changes.`

// tool adapts a typed function to the Tool interface: schema validation,
// decoding, and turning a panic into an error.
type tool[A any] struct {
	name     string
	desc     string
	schema   *messaging.Schema
	readOnly bool
	exec     func(context.Context, A) (Result, error)
}

func (t *tool[A]) Spec() Spec {
	return Spec{Name: t.name, Description: t.desc, Parameters: t.schema.Raw()}
}

func (t *tool[A]) ReadOnly() bool { return t.readOnly }

func (t *tool[A]) Run(ctx context.Context, args json.RawMessage) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, fmt.Errorf("%s: internal error: %v", t.name, p)
		}
	}()
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("%s: %w", t.name, err)
	}
	if err := t.schema.Validate(args); err != nil {
		return Result{}, err
	}
	var a A
	if err := json.Unmarshal(args, &a); err != nil {
		return Result{}, fmt.Errorf("%w: %s: %v", messaging.ErrInvalid, t.name, err)
	}
	res, err = t.exec(ctx, a)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", t.name, err)
	}
	return res, nil
}

type applyPatchArgs struct {
	Patch string `json:"patch"`
}

type readFileArgs struct {
	Path   string `json:"path"`
	Offset int    `json:"offset"`
	Limit  int    `json:"limit"`
}

type listFilesArgs struct {
	Path  string `json:"path"`
	Depth int    `json:"depth"`
}

type searchArgs struct {
	Pattern string `json:"pattern"`
	Path    string `json:"path"`
	Glob    string `json:"glob"`
}
