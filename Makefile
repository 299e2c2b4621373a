# chainseal. Two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
export GOTOOLCHAIN := local
export GONOSUMDB := github.com/tektoncd
# Everything builds as the image does (ko.yaml: CGO_ENABLED=0, -trimpath), so
# go vet, the tests, the e2e image build and the stack's tools from go.mod
# (test/stack/builds.sh: repo_tool) compile each package they share once.
export CGO_ENABLED := 0
export GOFLAGS := -buildvcs=false -trimpath

GO_TEST_FLAGS ?= -count=1 -timeout 45m -tags stack
FUZZTIME ?= 1000x

.PHONY: all build test fuzz demo stack-up stack-down stack-build bench clean bundle

all: build

build:
	go build -o bin/chainseal ./cmd/chainseal

stack-build:
	test/stack/build

stack-up:
	test/stack/up

stack-down:
	test/stack/down

## test: unit, integration and e2e tests against the real local stack.
## Two tiers: `go test ./...` runs the unit tests in seconds with no stack;
## files tagged `stack` (named *_stack_test.go, and test/e2e) need the real
## local stack or the tools it builds; `make test` runs both.
## The tests run inside the stack's network namespace (test/stack/exec);
## go vet, outside it, first fetches every module they need.
## The Chains compatibility test is its own module (test/compat/run); it
## runs first, outside the network namespace, so that Chains' modules are
## fetched before test/e2e builds its cmd/chainsformat.
test: stack-up
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...
	go vet -tags stack ./...
	go vet -tags chainseal_task ./cmd/chainseal
	@# the benchmark's own module must still load against chainseal's go.mod
	cd test/bench && go list ./... >/dev/null
	go test -count=1 -tags chainseal_task ./cmd/chainseal
	test/compat/run -count=1
	test/stack/exec go test $(GO_TEST_FLAGS) ./...
	$(MAKE) fuzz


## fuzz: a short run of every fuzz target, as CI does. The budget is a count
## of executions, not a duration: Go 1.26's fuzz coordinator can fail a
## target with "context deadline exceeded" when a -fuzztime duration ends on a
## loaded machine (golang/go#75804, fixed in Go 1.27).
## The targets are found in the test files go list says build (no test
## binary is built and linked per package just to list them).
fuzz:
	@go list -f '{{$$d := .Dir}}{{.ImportPath}}{{range .TestGoFiles}} {{$$d}}/{{.}}{{end}}{{range .XTestGoFiles}} {{$$d}}/{{.}}{{end}}' ./pkg/... ./internal/... | \
	while read -r pkg files; do \
	  [ -n "$$files" ] || continue; \
	  for f in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$files); do \
	    echo "fuzz $$pkg $$f"; \
	    go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x $$pkg || exit 1; \
	  done; \
	done

## demo: the real local stack, a signed pipeline, verified by cosign and rekor-cli.
## Built outside the stack's network namespace (modules), run inside it.
demo: stack-up
	go build -o bin/demo ./test/demo
	test/stack/exec bin/demo

## bundle: ko builds and pushes the image, and the Task goes out as a Tekton
## bundle to BUNDLE_REPO (default: the local stack's registry; then the stack
## is started). Reproducible: created time = the last commit (SOURCE_DATE_EPOCH).
## See docs/release.md.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
bundle: $(if $(BUNDLE_REPO),,stack-up)
	go mod download
	go build -o bin/bundle ./cmd/bundle
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(if $(BUNDLE_REPO),,test/stack/exec) bin/bundle

## bench: chainseal against the Tekton Chains v0.26.0 controller on the real
## local stack (test/bench, ~30 min; the first run also builds Chains, ~8 min).
## Writes docs/benchmarks. Not part of `make test`. BENCH_FLAGS=-quick: ~3 min.
bench:
	test/bench/run $(BENCH_FLAGS)

## bench-unit: the Go micro-benchmarks of ./pkg/...
.PHONY: bench-unit
bench-unit:
	go test -run '^$$' -bench . -benchmem ./pkg/...

clean:
	rm -rf bin
