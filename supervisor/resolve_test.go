package supervisor

import (
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

// resolveTeam: coder_a and coder_b change the same line; a is merged, b's
// merge conflicts and goes to a resolver, whose first report (markers still
// there) is refused; it resolves and reports again, and b's work is merged.
var resolveTeam = scriptedTeam{
	"/root": {
		calls("spawn_agent", `{"role":"coder","name":"coder_a","task":"a"}`,
			"spawn_agent", `{"role":"coder","name":"coder_b","task":"b"}`,
			"spawn_agent", `{"role":"reviewer","name":"reviewer","task":"review"}`),
		call("wait", `{"from":["/root/coder_a","/root/coder_b"]}`),
		call("review_request", `{"to":"/root/reviewer","agent":"/root/coder_a"}`),
		call("wait", `{"from":["/root/reviewer"]}`),
		call("review_request", `{"to":"/root/reviewer","agent":"/root/coder_b"}`),
		call("wait", `{"from":["/root/reviewer"]}`),
		call("wait", `{"from":["/root/resolver_1"]}`),
		{Text: "resolved"},
	},
	"/root/coder_a": {call("apply_patch", patch("a.txt", "1", "2")), call("report", `{"status":"done","summary":"a"}`), call("wait", `{}`)},
	"/root/coder_b": {call("apply_patch", patch("a.txt", "1", "3")), call("report", `{"status":"done","summary":"b"}`), call("wait", `{}`)},
	"/root/reviewer": {
		call("wait", `{}`), call("review", `{"agent":"/root/coder_a","verdict":"approve","summary":"ok"}`),
		call("wait", `{}`), call("review", `{"agent":"/root/coder_b","verdict":"approve","summary":"ok"}`),
		call("wait", `{}`),
	},
	"/root/resolver_1": {
		call("report", `{"status":"done","summary":"too early"}`),
		call("shell", `{"command":["sh","-c","printf '5\\n' > a.txt"]}`),
		call("report", `{"status":"done","summary":"a is 5: both changes kept as their sum"}`),
		call("wait", `{}`),
	},
}

func TestAConflictGoesToAResolverAndItsResolutionIsMerged(t *testing.T) {
	repo := repoWith(t, map[string]string{"a.txt": "1\n"})
	sup, r := startScripted(t, repo, resolveTeam, RunSpec{
		TestCommand: []string{"sh", "-c", `! grep -q '^<<<<<<<' a.txt`},
	})
	out := r.Wait()
	if out.Status != messaging.StatusSucceeded || out.Summary != "resolved" {
		t.Fatalf("outcome %+v", out)
	}
	var resolverResults, rootGot []string
	var merged []messaging.Merged
	var failed int
	_ = sup.Journal().Events(r.ID, 0, func(ev messaging.Event) error {
		switch ev.Type {
		case messaging.EvToolResult:
			var p messaging.ToolResult
			_ = ev.Decode(&p)
			if ev.Agent.String() == "/root/resolver_1" {
				resolverResults = append(resolverResults, p.Output)
			}
		case messaging.EvMessageDelivered:
			if ev.Agent.IsRoot() {
				rootGot = append(rootGot, string(ev.Data))
			}
		case messaging.EvMerged:
			var p messaging.Merged
			_ = ev.Decode(&p)
			merged = append(merged, p)
		case messaging.EvMergeFailed:
			failed++
		}
		return nil
	})
	if failed != 1 || len(merged) != 2 || merged[1].Agent.String() != "/root/coder_b" {
		t.Fatalf("%d merge_failed, merged %+v; want one conflict, then a and b merged", failed, merged)
	}
	if len(resolverResults) == 0 || !strings.Contains(resolverResults[0], "conflict markers remain in a.txt") {
		t.Errorf("the early report was not refused: %q", resolverResults)
	}
	joined := strings.Join(rootGot, "\n")
	for _, want := range []string{"NOT MERGED YET", "cadre started /root/resolver_1", "a is 5", "merged into cadre/" + r.ID + "/result"} {
		if !strings.Contains(joined, want) {
			t.Errorf("/root was not told %q", want)
		}
	}
	res := "cadre/" + r.ID + "/result"
	if got := strings.TrimSpace(gitRun(t, repo, "show", res+":a.txt")); got != "5" {
		t.Errorf("result a.txt = %q, want the resolution 5", got)
	}
	// Both coders' commits are in the result's history.
	for _, b := range []string{"root-coder_a", "root-coder_b"} {
		gitRun(t, repo, "merge-base", "--is-ancestor", "cadre/"+r.ID+"/"+b, res)
	}
}

// A resumed run knows which conflicts its resolvers still work on.
func TestResolutionsAreRebuiltFromTheJournal(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	coder := messaging.MustParseAddress("/root/coder_b")
	res1, res2 := resolverAddr(1), resolverAddr(2)
	report := func(from messaging.Address, status string) messaging.Event {
		env, err := messaging.NewEnvelope("r-1", from, messaging.Root, 1, 1, at, messaging.Report{Status: status, Summary: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return messaging.NewEvent("r-1", from, 1, at, messaging.MessageSent{Envelope: env})
	}
	r := &Run{}
	for _, ev := range []messaging.Event{
		messaging.NewEvent("r-1", coder, 0, at, messaging.MergeFailed{Agent: coder, Commit: "c1", Conflicts: []string{"a.txt"}, Resolver: res1, Onto: "o1"}),
		messaging.NewEvent("r-1", coder, 0, at, messaging.MergeFailed{Agent: coder, Commit: "c2", Conflicts: []string{"b.txt"}, Resolver: res2, Onto: "o2"}),
		messaging.NewEvent("r-1", coder, 0, at, messaging.MergeFailed{Agent: coder, Commit: "c3", Error: "not a conflict"}),
		report(res1, "done"),
		report(res2, "blocked"),
	} {
		r.foldResolution(ev)
	}
	if len(r.resolutions) != 1 {
		t.Fatalf("resolutions %+v, want only resolver_2's", r.resolutions)
	}
	got := r.resolutions[res2]
	if got.agent != coder || got.commit != "c2" || got.onto != "o2" || got.conflicts[0] != "b.txt" {
		t.Errorf("resolver_2's resolution %+v", got)
	}
}
