# Benchmark against pywa and a plain httpx loop (bench/, docs/benchmarks.md).
# `make bench` takes minutes and is not part of `make test`; `make bench-smoke` is (seconds,
# offline: no PyPI, no matplotlib), so the harness cannot rot unnoticed.
BENCH_VENV := $(BUILD)/bench-venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_OUT := $(BUILD)/bench
BENCH_SMOKE_OUT := $(BENCH_OUT)/smoke
PYTHON3 ?= python3

# The Python package and the C library plug in when their areas are in the tree.
BENCH_HAS_PYTHON := $(wildcard python/pyproject.toml)
BENCH_HAS_C := $(wildcard include/wablock.h)
# The C driver links the library's static archive, so the binary does not need LD_LIBRARY_PATH.
BENCH_C_FLAGS := -O2 -Wall -Wextra -std=c11 -Iinclude
BENCH_C_LIBS := -lpthread -ldl -lm

.PHONY: bench bench-venv bench-python bench-c bench-report bench-smoke

$(BENCH_VENV)/.installed: bench/requirements.txt
	$(PYTHON3) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q --disable-pip-version-check -r bench/requirements.txt
	touch $@

bench-venv: $(BENCH_VENV)/.installed ## create build/bench-venv with pywa, httpx, matplotlib (pinned)

bench-python: bench-venv ## install the Python package (release build) into build/bench-venv
ifneq ($(BENCH_HAS_PYTHON),)
	$(BENCH_PY) -m pip install -q --disable-pip-version-check --force-reinstall ./python
else
	@echo "bench: no python/pyproject.toml in this tree; the Python driver is skipped"
endif

bench-c: ## build the C driver against libwablock (release) into build/bench/c-driver
ifneq ($(BENCH_HAS_C),)
	$(CARGO) build --release --locked -p wablock-c
	mkdir -p $(BENCH_OUT)
	cc $(BENCH_C_FLAGS) -o $(BENCH_OUT)/c-driver bench/drivers/c_driver.c target/release/libwablock.a $(BENCH_C_LIBS)
else
	@echo "bench: no include/wablock.h in this tree; the C driver is skipped"
endif

bench: bench-venv bench-python bench-c ## full benchmark (minutes): results, docs/benchmarks.md and .png
	$(CARGO) build --release --locked -p wablock-sandbox -p wablock-bench -p wablock-cli
	$(PYTHON3) bench/run.py --out $(BENCH_OUT)/results.json --python-wablock $(BENCH_PY) --python-peers $(BENCH_PY)
	$(MAKE) --no-print-directory bench-report

bench-report: bench-venv ## regenerate docs/benchmarks.md and .png from build/bench/results.json
	$(BENCH_PY) bench/versions.py > $(BENCH_OUT)/versions.json
	@# The raw runs behind docs/benchmarks.md, committed with it.
	cp $(BENCH_OUT)/results.json bench/results.json
	$(BENCH_PY) bench/report.py $(BENCH_OUT)/results.json docs/benchmarks.md --png docs/benchmarks.png --analysis bench/analysis.md --versions $(BENCH_OUT)/versions.json

# Smoke: debug builds, 2,000 users, 1 run, latency 0, the wablock drivers and the CLI only (and
# the Rust driver against the echo server). A driver whose area is in the tree is required (a
# broken driver fails the smoke instead of being skipped).
bench_comma := ,
BENCH_SMOKE_REQUIRE := rust,cli$(if $(BENCH_HAS_PYTHON),$(bench_comma)python)$(if $(BENCH_HAS_C),$(bench_comma)c)

bench-smoke: $(if $(BENCH_HAS_PYTHON),python-build) ## seconds: the harness end to end on tiny sizes (part of make test)
	$(CARGO_BUILD_ALL)
ifneq ($(BENCH_HAS_C),)
	mkdir -p $(BENCH_SMOKE_OUT)
	cc $(BENCH_C_FLAGS) -o $(BENCH_SMOKE_OUT)/c-driver bench/drivers/c_driver.c target/debug/libwablock.a $(BENCH_C_LIBS)
endif
	rm -f $(BENCH_SMOKE_OUT)/results.json $(BENCH_SMOKE_OUT)/benchmarks.md
	$(PYTHON3) bench/run.py --smoke --require $(BENCH_SMOKE_REQUIRE) --out $(BENCH_SMOKE_OUT)/results.json \
	  --measure $(BENCH_SMOKE_OUT)/measure \
	  --sandbox target/debug/wablock-sandbox --rust-driver target/debug/wablock-bench-driver \
	  --echo target/debug/wablock-bench-echo --cli target/debug/wablock \
	  --python-wablock $(BUILD)/venv/bin/python --c-driver $(BENCH_SMOKE_OUT)/c-driver
	$(PYTHON3) bench/report.py $(BENCH_SMOKE_OUT)/results.json $(BENCH_SMOKE_OUT)/benchmarks.md
	$(PYTHON3) bench/smoke_check.py $(BENCH_SMOKE_OUT)/results.json $(BENCH_SMOKE_OUT)/benchmarks.md $(BENCH_SMOKE_REQUIRE)

TEST_TARGETS += bench-smoke
