# cadre — the two commands a new user needs are `make demo` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN     := bin/cadre

.PHONY: build test demo bench lint chaos clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/cadre

# Everything a clean machine can run, with no key and no network: unit
# tests, real git repos, real sandboxed processes, the scripted model server
# over real HTTP, the dashboard on a simulated screen and in tmux, and
# end-to-end runs of the real binary.
test: build
	$(GO) vet ./...
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt: the files above need formatting" && exit 1)
	$(GO) test -count=1 -timeout 20m ./...

# A real team fixes two real bugs in a sample repository, driven by the
# scripted model server (no API key). The last line is the result branch.
demo: build
	./$(BIN) demo

# Kill the demo team's cadre process at 20+ random points (SIGKILL), resume
# after each, and check the result equals an uninterrupted run's.
chaos: build
	CADRE_CHAOS_KILLS=$${CADRE_CHAOS_KILLS:-24} $(GO) test -count=1 -run TestChaosKillAndResume -v ./cmd/cadre

bench: build
	$(GO) run ./bench

lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)"
	$(GO) vet ./...

clean:
	rm -rf bin
