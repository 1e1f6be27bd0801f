# Reliability and security (docs/reliability.md): the fault suite, its soak, and fuzzing.
.PHONY: fault-suite soak fuzz-smoke fuzz-build fuzz-corpus

FAULT_RUNS ?= 200
SOAK_RUNS ?= 5000
SOAK_SEED ?= $(shell date +%s)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := decode_outcome decode_page decode_error normalize_input
FUZZ_TOOLCHAIN ?= nightly

fault-suite: ## 200 seeded fault runs (block+unblock 5,000 users, parallelism 4), optimised build
	WABLOCK_FAULT_RUNS=$(FAULT_RUNS) $(CARGO) test --release --locked -p wablock-faults --test fault_suite -- --nocapture

soak: ## the fault suite with SOAK_RUNS (5,000) runs from a fresh seed (SOAK_SEED)
	WABLOCK_FAULT_RUNS=$(SOAK_RUNS) WABLOCK_FAULT_SEED=$(SOAK_SEED) $(CARGO) test --release --locked -p wablock-faults --test fault_suite -- --nocapture

fuzz-corpus: ## (re)seed fuzz/corpus from the conformance vectors and the hand-written samples
	python3 fuzz/seed_corpus.py

fuzz-tools: ## install the nightly toolchain and cargo-fuzz if missing (best effort)
	bash fuzz/install-tools.sh

fuzz-build: fuzz-tools ## build every cargo-fuzz target (needs the nightly toolchain and cargo-fuzz)
	cd fuzz && $(CARGO) +$(FUZZ_TOOLCHAIN) fuzz build

fuzz-smoke: fuzz-tools ## run each cargo-fuzz target FUZZ_SECONDS (60) s from the seeded corpus (nightly)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TOOLCHAIN=$(FUZZ_TOOLCHAIN) bash fuzz/smoke.sh

TEST_TARGETS += fault-suite
