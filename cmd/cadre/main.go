// Command cadre supervises a team of LLM coding agents working on a git
// repository: see `cadre --help`.
package main

import "os"

func main() { os.Exit(run()) }
