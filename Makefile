# wablock: one Makefile for every language. Each area adds its own fragment in mk/*.mk and
# appends its test target to TEST_TARGETS, so areas never edit the same lines.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo
ROOT := $(abspath .)
BUILD := $(ROOT)/build
TEST_TARGETS :=
# Every binary and library the suites use (the sandbox, libwablock.{so,a}, the UniFFI cdylib
# and its bindgen, the Python cdylib, the bench driver) comes from this one build. It selects
# the same packages and targets as `cargo test --workspace`, so cargo unifies features the same
# way and reuses the test build's artifacts: building a subset with -p would unify features
# differently and compile shared crates (serde, syn, rustls, the core...) again. The C header
# generator (feature wablock-c/header, cbindgen) is part of it for the same reason.
CARGO_WORKSPACE := --workspace --features wablock-c/header --locked
CARGO_BUILD_ALL := $(CARGO) build $(CARGO_WORKSPACE) --lib --bins --tests --examples

include $(sort $(wildcard mk/*.mk))

.PHONY: help demo setup test test-suites self-contained-check fmt-check clippy rust-test doc

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

test: ## set up what is missing, then run every check and test suite (what CI runs)
	@bash .ci/setup
	@$(MAKE) --no-print-directory test-suites

test-suites: self-contained-check fmt-check clippy rust-test doc $(TEST_TARGETS) ## every check and test suite, without the set-up
	@echo "make test: all green"

setup: ## install what the test suites need (as root; otherwise prints the command to run)
	bash .ci/setup

self-contained-check: ## fail on any tracked file that points outside the repository
	python3 .ci/self-contained-check

fmt-check: ## cargo fmt --check
	$(CARGO) fmt --all -- --check

clippy: ## clippy on every crate and target, warnings are errors
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

rust-test: ## cargo test on the whole workspace
	$(CARGO) test $(CARGO_WORKSPACE)

doc: ## rustdoc with warnings as errors
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked
