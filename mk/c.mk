# The C ABI (bindings/c -> libwablock.so / libwablock.a, include/wablock.h, include/wablock.pc.in)
# and its plain-C test suite (bindings/c/tests), run normally, under valgrind and under ASan.
# make install / uninstall / examples and c-install-check live in mk/install.mk.
.PHONY: c-lib c-header c-header-check c-symbols c-suite c-valgrind c-asan \
        c-test

C_LIBDIR := $(ROOT)/target/debug
C_BUILD := $(BUILD)/c
C_VERSION := $(shell sed -nE 's/^version = "([^"]+)"/\1/p' Cargo.toml | head -n1)
C_SANDBOX := $(ROOT)/target/debug/wablock-sandbox
C_TEST_SRCS := $(wildcard bindings/c/tests/*.c)
C_TEST_HDRS := $(wildcard bindings/c/tests/*.h)
C_TEST_LIBS := -lcjson -lcurl -lpthread -ldl -lm
C_CFLAGS := -std=c11 -Wall -Wextra -Werror -g -I$(ROOT)/include
C_VECTORS := tests/conformance/vectors
# Suite arguments: vector directory, then where its canonical results go.
C_SUITE_ARGS := $(C_VECTORS) $(BUILD)/conformance/c

c-lib: ## build libwablock.so, libwablock.a and the sandbox (debug; the workspace build every suite shares)
	$(CARGO_BUILD_ALL)
	@# The soname is libwablock.so.0; the tests load it from here, as an install would lay it out.
	@mkdir -p $(C_BUILD)/lib
	@ln -sf $(C_LIBDIR)/libwablock.so $(C_BUILD)/lib/libwablock.so.0
	@ln -sf $(C_LIBDIR)/libwablock.so $(C_BUILD)/lib/libwablock.so

c-header: ## regenerate include/wablock.h with the pinned cbindgen (0.29.4)
	$(CARGO_BUILD_ALL)
	$(C_LIBDIR)/wablock-c-header include/wablock.h

c-header-check: ## fail if include/wablock.h differs from what cbindgen generates now
	@mkdir -p $(C_BUILD)
	$(CARGO_BUILD_ALL)
	$(C_LIBDIR)/wablock-c-header $(C_BUILD)/wablock.h
	@diff -u include/wablock.h $(C_BUILD)/wablock.h || \
	  { echo "include/wablock.h is stale: run make c-header and commit it"; exit 1; }
	@echo "c-header-check: include/wablock.h is up to date"

c-symbols: c-lib ## the shared library exports wablock_* only, and every function the header declares
	@set -euo pipefail; \
	syms=$$(nm -D --defined-only $(C_LIBDIR)/libwablock.so | awk '{print $$3}' | sed 's/@.*//' | sort -u); \
	bad=$$(echo "$$syms" | grep -v '^wablock_' | grep -v '^WABLOCK_0$$' || true); \
	if [ -n "$$bad" ]; then echo "c-symbols: exported symbols without the wablock_ prefix:"; echo "$$bad"; exit 1; fi; \
	declared=$$(grep -oE '\bwablock_[a-z0-9_]+\(' include/wablock.h | tr -d '(' | sort -u); \
	missing=$$(comm -23 <(echo "$$declared") <(echo "$$syms")); \
	if [ -n "$$missing" ]; then echo "c-symbols: declared but not exported:"; echo "$$missing"; exit 1; fi; \
	echo "c-symbols: $$(echo "$$syms" | wc -l) symbols exported, all wablock_*, all $$(echo "$$declared" | wc -l) header functions present"

$(C_BUILD)/c_suite: $(C_TEST_SRCS) $(C_TEST_HDRS) mk/c.mk include/wablock.h $(C_LIBDIR)/libwablock.so
	@mkdir -p $(C_BUILD)
	$(CC) $(C_CFLAGS) $(C_TEST_SRCS) -o $@ -L$(C_BUILD)/lib -Wl,-rpath,$(C_BUILD)/lib -lwablock $(C_TEST_LIBS)

$(C_BUILD)/c_suite_asan: $(C_TEST_SRCS) $(C_TEST_HDRS) mk/c.mk include/wablock.h $(C_LIBDIR)/libwablock.a
	@mkdir -p $(C_BUILD)
	$(CC) $(C_CFLAGS) -fsanitize=address -fno-omit-frame-pointer $(C_TEST_SRCS) -o $@ \
	  $(C_LIBDIR)/libwablock.a $(C_TEST_LIBS)

c-suite: c-lib $(C_BUILD)/c_suite ## the C suite (misuse, API, 8 threads, every conformance vector)
	WABLOCK_SANDBOX_BIN=$(C_SANDBOX) $(C_BUILD)/c_suite $(C_SUITE_ARGS)

c-valgrind: c-lib $(C_BUILD)/c_suite ## the C suite under valgrind: zero errors, zero leaks
	WABLOCK_SANDBOX_BIN=$(C_SANDBOX) valgrind -q --error-exitcode=1 --leak-check=full \
	  --suppressions=bindings/c/tests/valgrind.supp \
	  --errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible \
	  $(C_BUILD)/c_suite $(C_SUITE_ARGS)

c-asan: c-lib $(C_BUILD)/c_suite_asan ## the C suite built with AddressSanitizer (leak detection on)
	WABLOCK_SANDBOX_BIN=$(C_SANDBOX) ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  $(C_BUILD)/c_suite_asan $(C_SUITE_ARGS)

c-test: c-header-check c-symbols c-suite c-valgrind c-asan c-install-check ## every C check

TEST_TARGETS += c-test
