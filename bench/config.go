package main

import "time"

// config holds every count and duration of a bench run.
type config struct {
	quick bool

	turns    int // model turns of the orchestrated run (row 1)
	refReps  int // samples of each reference of row 1
	starts   int // runs started for row 2
	sandboxN int // MeasureTrue count

	appendWriters int
	groupEvents   int // events appended with group commit
	eachEvents    int // events appended with one fsync each

	replayAgents, replayPerAgent int

	uiAgents, uiRate int
	uiDur, uiRefDur  time.Duration

	worktreeReps int
}

func fullConfig() config {
	return config{
		turns: 40, refReps: 40, starts: 5, sandboxN: 200,
		appendWriters: 64, groupEvents: 20000, eachEvents: 2000,
		replayAgents: 100, replayPerAgent: 500,
		uiAgents: 500, uiRate: 10, uiDur: 10 * time.Second, uiRefDur: 5 * time.Second,
		worktreeReps: 10,
	}
}

func quickConfig() config {
	return config{
		quick: true,
		turns: 4, refReps: 5, starts: 1, sandboxN: 5,
		appendWriters: 8, groupEvents: 400, eachEvents: 40,
		replayAgents: 5, replayPerAgent: 20,
		uiAgents: 20, uiRate: 5, uiDur: 1500 * time.Millisecond, uiRefDur: 1 * time.Second,
		worktreeReps: 2,
	}
}
