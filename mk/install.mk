# Installing libwablock like a system library (docs/c.md "Install"): a release build, stripped,
# laid out under DESTDIR + PREFIX with a versioned .so and its soname link, the header, and two
# pkg-config files (wablock: shared; wablock-static: the archive). The Go and Kotlin/Python
# packaging reuse the same release build of the workspace (one `--release` profile for
# everything that ships; the fault suite builds it too).
.PHONY: c-dist install install-files uninstall examples c-stage c-install-check

DESTDIR ?=
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

INSTALL_VERSION := $(shell sed -nE 's/^version = "([^"]+)"/\1/p' Cargo.toml | head -n1)
RELEASE_DIR := $(or $(CARGO_TARGET_DIR),$(ROOT)/target)/release
C_DIST := $(BUILD)/c/dist
C_DIST_SO := $(C_DIST)/libwablock.so.$(INSTALL_VERSION)
# The .pc files say ${prefix}/lib rather than the absolute LIBDIR when LIBDIR is under PREFIX,
# so that pkg-config --define-variable=prefix=… relocates a staged install.
pc_rel = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
PC_SED = -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_rel,$(LIBDIR))|' \
         -e 's|@INCLUDEDIR@|$(call pc_rel,$(INCLUDEDIR))|' -e 's|@VERSION@|$(INSTALL_VERSION)|'
soname_of = $$(readelf -d $(1) | sed -nE 's/.*Library soname: \[(.*)\]/\1/p')

c-dist: ## release libwablock.so / .a, stripped, into build/c/dist (what make install copies)
	$(CARGO) build --release --locked -p wablock-c
	rm -rf $(C_DIST) && mkdir -p $(C_DIST)
	@# The .so keeps its dynamic symbol table (the wablock_* exports); the archive keeps its
	@# symbols and loses only debug info (the release profile's line tables).
	strip --strip-all -o $(C_DIST_SO) $(RELEASE_DIR)/libwablock.so
	strip --strip-debug -o $(C_DIST)/libwablock.a $(RELEASE_DIR)/libwablock.a
	@ls -l $(C_DIST_SO) $(C_DIST)/libwablock.a | awk '{printf "c-dist: %-60s %6.1f MB\n", $$9, $$5/1048576}'

# make install builds only when build/c/dist is older than the sources, so that
# `make c-dist && sudo make install` never runs cargo as root (sudo's PATH has no cargo anyway).
C_DIST_INPUTS := Cargo.toml Cargo.lock include/wablock.h \
  $(shell find crates/wablock crates/wablock-window bindings/c -name '*.rs' -o -name Cargo.toml -o -name '*.map' 2>/dev/null)
$(C_DIST_SO): $(C_DIST_INPUTS)
	@$(MAKE) --no-print-directory c-dist

install: $(C_DIST_SO) ## release build into $(DESTDIR)$(PREFIX): lib (LIBDIR), include (INCLUDEDIR), pkgconfig
	@$(MAKE) --no-print-directory install-files

# Copies build/c/dist as it stands (the staging targets reuse one c-dist).
install-files:
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 include/wablock.h $(DESTDIR)$(INCLUDEDIR)/wablock.h
	install -m 755 $(C_DIST_SO) $(DESTDIR)$(LIBDIR)/
	ln -sfn libwablock.so.$(INSTALL_VERSION) $(DESTDIR)$(LIBDIR)/$(call soname_of,$(C_DIST_SO))
	ln -sfn $(call soname_of,$(C_DIST_SO)) $(DESTDIR)$(LIBDIR)/libwablock.so
	install -m 644 $(C_DIST)/libwablock.a $(DESTDIR)$(LIBDIR)/libwablock.a
	sed $(PC_SED) include/wablock.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/wablock.pc
	sed $(PC_SED) include/wablock-static.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/wablock-static.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/wablock.pc $(DESTDIR)$(PKGCONFIGDIR)/wablock-static.pc
	@# A real install (no DESTDIR) as root refreshes the loader cache, so programs find the
	@# library without LD_LIBRARY_PATH when LIBDIR is a loader directory (/usr/local/lib is).
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall: ## remove exactly the files make install wrote (same DESTDIR, PREFIX, LIBDIR, INCLUDEDIR)
	@set -e; so=$(DESTDIR)$(LIBDIR)/libwablock.so.$(INSTALL_VERSION); \
	if [ -f "$$so" ]; then soname=$(call soname_of,$$so); rm -f "$(DESTDIR)$(LIBDIR)/$$soname"; fi; \
	rm -fv "$$so" $(DESTDIR)$(LIBDIR)/libwablock.so $(DESTDIR)$(LIBDIR)/libwablock.a \
	  $(DESTDIR)$(INCLUDEDIR)/wablock.h \
	  $(DESTDIR)$(PKGCONFIGDIR)/wablock.pc $(DESTDIR)$(PKGCONFIGDIR)/wablock-static.pc; \
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

examples: ## build examples/c against the wablock.pc installed under PREFIX (rpath to LIBDIR)
	@mkdir -p $(BUILD)/c/examples
	PKG_CONFIG_PATH=$(PKGCONFIGDIR); export PKG_CONFIG_PATH; \
	$(CC) -std=c11 -Wall -Wextra -Werror examples/c/block_users.c -o $(BUILD)/c/examples/block_users \
	  $$(pkg-config --cflags --libs wablock) -Wl,-rpath,$$(pkg-config --variable=libdir wablock)

# A staged install (DESTDIR) at the default PREFIX, as a distribution package would build it.
C_STAGE := $(BUILD)/c/stage
C_STAGE_PREFIX := /usr/local
C_STAGE_LIB := $(C_STAGE)$(C_STAGE_PREFIX)/lib
# pkg-config that sees only the staged files, relocated from PREFIX to the staging root.
C_STAGE_PKGCONFIG := PKG_CONFIG_LIBDIR=$(C_STAGE_LIB)/pkgconfig PKG_CONFIG_PATH= \
  pkg-config --define-variable=prefix=$(C_STAGE)$(C_STAGE_PREFIX)

c-stage: c-dist
	rm -rf $(C_STAGE)
	$(MAKE) --no-print-directory install-files DESTDIR=$(C_STAGE) PREFIX=$(C_STAGE_PREFIX) \
	  LIBDIR=$(C_STAGE_PREFIX)/lib INCLUDEDIR=$(C_STAGE_PREFIX)/include PKGCONFIGDIR=$(C_STAGE_PREFIX)/lib/pkgconfig

# Runs "$1" (a built example) against a fresh sandbox and checks what it printed ($$out), and
# runs the optional shell check "$2" on it too.
define C_RUN_EXAMPLE
	@set -euo pipefail; \
	coproc SB { exec $(ROOT)/target/debug/wablock-sandbox --port 0 --open --exit-on-stdin-eof; }; \
	read -r url <&"$${SB[0]}"; \
	out=$$(WABLOCK_BASE_URL=$$url WABLOCK_PHONE_NUMBER_ID=1000 WABLOCK_ACCESS_TOKEN=sandbox-token \
	  $(1) "+1 (650) 555-1234" 447700900123 "not a number" || test $$? -eq 1); \
	exec {SB[1]}>&-; wait; \
	echo "$$out"; \
	grep -q "blocked     +1 (650) 555-1234" <<<"$$out"; \
	grep -q "not blocked not a number .*INVALID_USER" <<<"$$out"; \
	grep -q "the blocklist holds 2 users" <<<"$$out"; \
	$(or $(2),true)
endef

# The example prints wablock_version() and the header's WABLOCK_VERSION: both must be Cargo's.
C_SAME_VERSION = grep -q "^libwablock $(INSTALL_VERSION) (header $(INSTALL_VERSION))$$" <<<"$$out"

# Installs into a DESTDIR staging root, checks the layout, builds examples/c/block_users.c in a
# directory outside the checkout through pkg-config (shared and static) and runs both against
# the sandbox, then uninstalls and checks nothing is left.
c-install-check: c-stage ## staged make install, build + run a program outside the repo (shared and static), make uninstall
	$(CARGO) build --locked -p wablock-sandbox
	@set -euo pipefail; lib=$(C_STAGE_LIB); \
	test "$$(readlink $$lib/libwablock.so)" = libwablock.so.0; \
	test "$$(readlink $$lib/libwablock.so.0)" = libwablock.so.$(INSTALL_VERSION); \
	test -f $(C_STAGE)$(C_STAGE_PREFIX)/include/wablock.h; \
	grep -qx 'prefix=$(C_STAGE_PREFIX)' $$lib/pkgconfig/wablock.pc; \
	grep -qx 'Version: $(INSTALL_VERSION)' $$lib/pkgconfig/wablock.pc; \
	if readelf -S $$lib/libwablock.so.$(INSTALL_VERSION) | grep -qE '\.debug_|\.symtab'; then \
	  echo "c-install-check: the installed .so is not stripped"; exit 1; fi; \
	size=$$(stat -c %s $$lib/libwablock.so.$(INSTALL_VERSION)); \
	if [ "$$size" -ge 8388608 ]; then echo "c-install-check: libwablock.so is $$size bytes (limit 8 MB)"; exit 1; fi; \
	echo "c-install-check: staged layout ok, libwablock.so $$((size / 1024)) KiB"
	rm -rf $(C_BUILD)/outside && mkdir -p $(C_BUILD)/outside
	@# Outside the checkout: a scratch directory with only the example's source in it.
	@set -euo pipefail; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	cp examples/c/block_users.c "$$dir/"; cd "$$dir"; \
	$(CC) -std=c11 -Wall -Wextra -Werror block_users.c -o block_users_shared $$($(C_STAGE_PKGCONFIG) --cflags --libs wablock); \
	$(CC) -std=c11 -Wall -Wextra -Werror block_users.c -o block_users_static $$($(C_STAGE_PKGCONFIG) --cflags --libs wablock-static); \
	cp block_users_shared block_users_static $(C_BUILD)/outside/
	@set -euo pipefail; \
	readelf -d $(C_BUILD)/outside/block_users_shared | grep -q 'NEEDED.*\[libwablock.so.0\]' || \
	  { echo "c-install-check: the shared build does not load libwablock.so.0"; exit 1; }; \
	if readelf -d $(C_BUILD)/outside/block_users_static | grep -q 'NEEDED.*libwablock'; then \
	  echo "c-install-check: the static build still needs libwablock.so"; exit 1; fi; \
	ls -l $(C_BUILD)/outside/block_users_* | awk '{printf "c-install-check: %-60s %6.1f MB\n", $$9, $$5/1048576}'
	@# The staged library is not in the loader's path (it is not really installed), so the shared
	@# program is pointed at it; the static one needs nothing.
	$(call C_RUN_EXAMPLE,env LD_LIBRARY_PATH=$(C_STAGE_LIB) $(C_BUILD)/outside/block_users_shared,$(C_SAME_VERSION))
	$(call C_RUN_EXAMPLE,$(C_BUILD)/outside/block_users_static,$(C_SAME_VERSION))
	$(MAKE) --no-print-directory uninstall DESTDIR=$(C_STAGE) PREFIX=$(C_STAGE_PREFIX) \
	  LIBDIR=$(C_STAGE_PREFIX)/lib INCLUDEDIR=$(C_STAGE_PREFIX)/include PKGCONFIGDIR=$(C_STAGE_PREFIX)/lib/pkgconfig
	@left=$$(find $(C_STAGE) ! -type d); \
	if [ -n "$$left" ]; then echo "c-install-check: make uninstall left:"; echo "$$left"; exit 1; fi
	@echo "c-install-check: staged install, pkg-config (shared and static) outside the repo, uninstall: ok"

# A Go program in its own module, outside the checkout, that requires the binding by its module
# path. The binding is a copy of bindings/go without its tests (what `go get` puts in the module
# cache), so no path into the repository can leak in; GOPROXY=off keeps it offline. Built against
# the installed library both ways: shared (default) and static (-tags wablock_static).
GO_MODULE := github.com/wablock/wablock/bindings/go
.PHONY: go-install-check
go-install-check: go-prefix ## build + run a Go program in a module outside the repo against the installed library
	$(CARGO) build --locked -p wablock-sandbox
	@set -euo pipefail; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	mkdir -p "$$dir/wablock-go" "$$dir/app"; \
	cp bindings/go/go.mod "$$dir/wablock-go/"; \
	for f in bindings/go/*.go; do case "$$f" in *_test.go) ;; *) cp "$$f" "$$dir/wablock-go/";; esac; done; \
	cp bindings/go/example/main.go "$$dir/app/main.go"; \
	printf 'module example.com/app\n\ngo 1.23\n\nrequire $(GO_MODULE) v$(INSTALL_VERSION)\n\nreplace $(GO_MODULE) => ../wablock-go\n' > "$$dir/app/go.mod"; \
	cd "$$dir/app"; export GOPROXY=off GOFLAGS=-mod=mod $(GO_ENV); \
	$(GO) build -o $(BUILD)/go/outside_shared . ; \
	$(GO) build -tags wablock_static -o $(BUILD)/go/outside_static .
	@readelf -d $(BUILD)/go/outside_shared | grep -q 'NEEDED.*\[libwablock.so.0\]' || \
	  { echo "go-install-check: the default build does not load libwablock.so.0"; exit 1; }
	@if readelf -d $(BUILD)/go/outside_static | grep -q 'NEEDED.*libwablock'; then \
	  echo "go-install-check: the wablock_static build still needs libwablock.so"; exit 1; fi
	$(call C_RUN_EXAMPLE,env LD_LIBRARY_PATH=$(GO_PREFIX)/lib $(BUILD)/go/outside_shared)
	$(call C_RUN_EXAMPLE,$(BUILD)/go/outside_static)
	@echo "go-install-check: a module outside the repo built and ran against the installed library (shared and static)"

TEST_TARGETS += go-install-check
