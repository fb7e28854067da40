package merge3

import (
	"os"
	"strconv"
	"testing"
)

// TestReproduceCase writes one case of the oracle tests into a repository
// to look at with git, with branches ours and theirs:
//
//	MERGE3_DEBUG_DIR=/tmp/case MERGE3_SEED=7 MERGE3_DEBUG_CASE=42 \
//	    go test -run TestReproduceCase ./worktree/merge3/
//
// MERGE3_CASES must be what the failing run used; MERGE3_DEBUG_TEXT=1
// picks from TestOracleText's cases.
func TestReproduceCase(t *testing.T) {
	dir := os.Getenv("MERGE3_DEBUG_DIR")
	if dir == "" {
		t.Skip("set MERGE3_DEBUG_DIR to write a case out")
	}
	seed := envUint(t, "MERGE3_SEED", 1)
	id, _ := strconv.Atoi(os.Getenv("MERGE3_DEBUG_CASE"))
	var cases []genCase
	if os.Getenv("MERGE3_DEBUG_TEXT") != "" {
		g := newGen(seed + 7)
		for i := 0; i <= id; i++ {
			cases = append(cases, g.textCase(i))
		}
	} else {
		cases = genCases(seed, int(envUint(t, "MERGE3_CASES", 200)))
	}
	if id < 0 || id >= len(cases) {
		t.Fatalf("no case %d", id)
	}
	if err := os.MkdirAll(dir+"/home", 0o755); err != nil {
		t.Fatal(err)
	}
	g := newGitRunner(dir, dir+"/home")
	g.must(t, "init", "-q", "-b", "main", dir+"/repo")
	g.dir = dir + "/repo"
	c := []genCase{cases[id]}
	if err := importCases(g, c); err != nil {
		t.Fatal(err)
	}
	g.must(t, "branch", "ours", c[0].ours)
	g.must(t, "branch", "theirs", c[0].theirs)
	t.Logf("ours %s theirs %s", c[0].ours, c[0].theirs)
}
