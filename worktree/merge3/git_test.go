package merge3

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// hermeticEnv is the environment every git command of the tests runs in:
// no system or user configuration, fixed identity, C locale, and none of
// the caller's GIT_* variables.
func hermeticEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GIT_") || strings.HasPrefix(kv, "HOME=") ||
			strings.HasPrefix(kv, "XDG_CONFIG_HOME=") || strings.HasPrefix(kv, "LC_ALL=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+home,
		"XDG_CONFIG_HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=merge3 test",
		"GIT_AUTHOR_EMAIL=merge3@example.invalid",
		"GIT_COMMITTER_NAME=merge3 test",
		"GIT_COMMITTER_EMAIL=merge3@example.invalid",
		"GIT_AUTHOR_DATE=1700000000 +0000",
		"GIT_COMMITTER_DATE=1700000000 +0000",
		"LC_ALL=C",
		// Where syscalls are expensive (gVisor), glibc growing and
		// trimming the heap one brk at a time makes fast-import ten
		// times slower; keep a pad instead.
		"MALLOC_TOP_PAD_=134217728",
	)
}

// gitRunner runs the git CLI in one repository, hermetically.
type gitRunner struct {
	dir string
	env []string
}

func newGitRunner(dir, home string) *gitRunner {
	return &gitRunner{dir: dir, env: hermeticEnv(home)}
}

// run runs git with stdin and returns stdout and the exit code; any exit
// code other than the accepted ones is an error.
func (g *gitRunner) run(stdin []byte, accept []int, args ...string) ([]byte, int, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = g.dir
	cmd.Env = g.env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			return nil, -1, fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	for _, a := range append([]int{0}, accept...) {
		if code == a {
			return out.Bytes(), code, nil
		}
	}
	return nil, code, fmt.Errorf("git %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
}

func (g *gitRunner) must(t testing.TB, args ...string) string {
	t.Helper()
	out, _, err := g.run(nil, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// initRepo makes an empty repository in a fresh temporary directory.
func initRepo(t testing.TB) *gitRunner {
	t.Helper()
	root := t.TempDir()
	home := root + "/home"
	dir := root + "/repo"
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	g := newGitRunner(root, home)
	g.must(t, "init", "-q", "-b", "main", dir)
	g.dir = dir
	return g
}

// mergeTreeResult is what `git merge-tree --write-tree --name-only` says
// about one merge.
type mergeTreeResult struct {
	clean bool
	tree  string
	paths []string // conflicted paths, as git lists them
}

// mergeTreeStdin runs one `git merge-tree --stdin` for all pairs and parses
// its NUL-separated output.
func (g *gitRunner) mergeTreeStdin(pairs [][2]string, extra ...string) ([]mergeTreeResult, error) {
	var in bytes.Buffer
	for _, p := range pairs {
		fmt.Fprintf(&in, "%s %s\n", p[0], p[1])
	}
	args := append(append([]string{}, extra...), "merge-tree", "--stdin", "-z", "--name-only", "--no-messages")
	out, _, err := g.run(in.Bytes(), nil, args...)
	if err != nil {
		return nil, err
	}
	toks := strings.Split(string(out), "\x00")
	var res []mergeTreeResult
	for i := 0; len(res) < len(pairs); {
		if i+2 > len(toks) {
			return nil, fmt.Errorf("merge-tree output ends after %d of %d merges", len(res), len(pairs))
		}
		var r mergeTreeResult
		switch toks[i] {
		case "1":
			r.clean = true
		case "0":
		default:
			return nil, fmt.Errorf("merge-tree status %q for %v", toks[i], pairs[len(res)])
		}
		r.tree = toks[i+1]
		i += 2
		for ; i < len(toks) && toks[i] != ""; i++ {
			r.paths = append(r.paths, toks[i])
		}
		i++ // the empty token that ends this merge
		res = append(res, r)
	}
	return res, nil
}
