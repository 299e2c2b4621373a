# chainseal. Two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
export GOTOOLCHAIN := local
export GONOSUMDB := github.com/tektoncd
export GOFLAGS := -buildvcs=false

GO_TEST_FLAGS ?= -count=1 -timeout 45m
FUZZTIME ?= 15s

.PHONY: all build test unit fuzz demo stack-up stack-down stack-build bench clean

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
test: stack-up
	go vet ./...
	go test $(GO_TEST_FLAGS) ./...
	$(MAKE) fuzz

## unit: the tests that need no stack (they fail loudly if they do).
unit:
	go test $(GO_TEST_FLAGS) ./pkg/...

## fuzz: a short run of every fuzz target, as CI does.
fuzz:
	@for pkg in $$(go list ./pkg/... ./internal/...); do \
	  for f in $$(go test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; \
	    go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## demo: the real local stack, a signed pipeline, verified by cosign and rekor-cli.
demo: stack-up
	go run ./test/demo

bench:
	go test -run '^$$' -bench . -benchmem ./pkg/...

clean:
	rm -rf bin
