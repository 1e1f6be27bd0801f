# The Go binding (bindings/go): cgo finds libwablock through pkg-config, as it would for a user.
# The in-repo tests link an install of the release library into build/go/prefix (make install
# PREFIX=…), statically (-tags wablock_static), so go test needs no LD_LIBRARY_PATH.
.PHONY: go-test go-example go-prefix

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)

GO_PREFIX := $(BUILD)/go/prefix
GO_ENV := PKG_CONFIG_PATH=$(GO_PREFIX)/lib/pkgconfig
GO_TAGS := -tags wablock_static

go-prefix: c-dist ## make install PREFIX=build/go/prefix (the library the in-repo Go build links)
	$(MAKE) --no-print-directory install-files PREFIX=$(GO_PREFIX) LIBDIR=$(GO_PREFIX)/lib \
	  INCLUDEDIR=$(GO_PREFIX)/include PKGCONFIGDIR=$(GO_PREFIX)/lib/pkgconfig DESTDIR=

go-test: go-prefix ## gofmt, go vet and go test (API tests + every conformance vector) of bindings/go
	$(CARGO) build --locked -p wablock-sandbox
	@test -z "$$(cd bindings/go && $(shell dirname $(GO))/gofmt -l .)" || \
	  { echo "gofmt: these files need formatting:"; cd bindings/go && $(shell dirname $(GO))/gofmt -l .; exit 1; }
	cd bindings/go && $(GO_ENV) $(GO) vet $(GO_TAGS) ./...
	cd bindings/go && $(GO_ENV) WABLOCK_SANDBOX_BIN=$(ROOT)/target/debug/wablock-sandbox $(GO) test $(GO_TAGS) -count=1 ./...
	@mkdir -p $(BUILD)/go
	cd bindings/go && $(GO_ENV) $(GO) build $(GO_TAGS) -o $(BUILD)/go/example ./example

go-example: go-prefix ## build the Go example into build/go/example
	@mkdir -p $(BUILD)/go
	cd bindings/go && $(GO_ENV) $(GO) build $(GO_TAGS) -o $(BUILD)/go/example ./example

TEST_TARGETS += go-test
