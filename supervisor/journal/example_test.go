package journal_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/cadre-dev/cadre/messaging"
	"github.com/cadre-dev/cadre/supervisor/journal"
)

func ExampleDB_Append() {
	dir, err := os.MkdirTemp("", "journal-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := journal.Open(filepath.Join(dir, "cadre.db"), journal.Options{Run: "r-20261123-ab12"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	evs, err := db.Append(context.Background(),
		messaging.NewEvent("r-20261123-ab12", messaging.Root, 1, at, messaging.RunStarted{Task: "fix the bug", Repo: "/src/app"}),
		messaging.NewEvent("r-20261123-ab12", messaging.Root, 1, at, messaging.AgentStarted{Role: "planner"}),
	)
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range evs {
		fmt.Println(ev.Seq, ev.Type)
	}
	s, err := db.Run("r-20261123-ab12")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Status, s.Agents, s.Task)
	// Output:
	// 1 run_started
	// 2 agent_started
	// running 1 fix the bug
}

func ExampleDB_Subscribe() {
	dir, err := os.MkdirTemp("", "journal-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := journal.Open(filepath.Join(dir, "cadre.db"), journal.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	const run = "r-20261123-ab12"
	sub := db.Subscribe(run, 0)
	defer sub.Close()
	for _, text := range []string{"first", "second"} {
		if _, err := db.Append(context.Background(), messaging.NewEvent(run, messaging.Root, 1, time.Now(), messaging.Warning{Text: text})); err != nil {
			log.Fatal(err)
		}
	}
	for range 2 {
		ev := <-sub.C
		var w messaging.Warning
		if err := ev.Decode(&w); err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Seq, w.Text)
	}
	// Output:
	// 1 first
	// 2 second
}
