# The Go binding (bindings/go): cgo over target/debug/libwablock.a, so c-lib builds the static
# library (and the sandbox the tests start) first.
.PHONY: go-test go-example

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)

go-test: c-lib ## gofmt, go vet and go test (API tests + every conformance vector) of bindings/go
	@test -z "$$(cd bindings/go && $(shell dirname $(GO))/gofmt -l .)" || \
	  { echo "gofmt: these files need formatting:"; cd bindings/go && $(shell dirname $(GO))/gofmt -l .; exit 1; }
	cd bindings/go && $(GO) vet ./...
	cd bindings/go && WABLOCK_SANDBOX_BIN=$(ROOT)/target/debug/wablock-sandbox $(GO) test -count=1 ./...
	@mkdir -p $(BUILD)/go
	cd bindings/go && $(GO) build -o $(BUILD)/go/example ./example

go-example: c-lib ## build the Go example into build/go/example
	@mkdir -p $(BUILD)/go
	cd bindings/go && $(GO) build -o $(BUILD)/go/example ./example

TEST_TARGETS += go-test
