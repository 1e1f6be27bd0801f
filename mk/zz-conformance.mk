# Conformance vectors (tests/conformance). The Rust runner is an integration test of
# crates/wablock-conformance, so `cargo test --workspace` runs it and writes
# build/conformance/rust/; every other language writes build/conformance/<lang>/ from its own
# test target. This fragment sorts last so that conformance-compare, appended last to
# TEST_TARGETS, runs after every language has written its results.
.PHONY: conformance conformance-compare

CONFORMANCE_RESULTS := $(BUILD)/conformance

conformance: ## run the vectors through the Rust core against the sandbox binary
	$(CARGO) build -q -p wablock-sandbox --bin wablock-sandbox --locked
	$(CARGO) test -q -p wablock-conformance --locked

conformance-compare: ## diff every language's conformance results against Rust's
	@set -euo pipefail; \
	ref="$(CONFORMANCE_RESULTS)/rust"; \
	n=$$(ls "$$ref"/*.json 2>/dev/null | wc -l); \
	if [ "$$n" -eq 0 ]; then echo "conformance-compare: no Rust results in $$ref (run make conformance)"; exit 1; fi; \
	vectors=$$(ls tests/conformance/vectors/*.json | wc -l); \
	if [ "$$n" -ne "$$vectors" ]; then echo "conformance-compare: $$n Rust results for $$vectors vectors"; exit 1; fi; \
	status=0; langs=""; \
	for dir in "$(CONFORMANCE_RESULTS)"/*/; do \
	  lang=$$(basename "$$dir"); [ "$$lang" = rust ] && continue; langs="$$langs $$lang"; \
	  for want in "$$ref"/*.json; do \
	    got="$$dir$$(basename "$$want")"; \
	    if [ ! -f "$$got" ]; then echo "conformance-compare: $$lang has no result for $$(basename "$$want")"; status=1; \
	    elif ! cmp -s "$$want" "$$got"; then \
	      echo "conformance-compare: $$lang differs from rust on $$(basename "$$want"):"; \
	      diff <(tr ',' '\n' < "$$want") <(tr ',' '\n' < "$$got") | head -20 || true; status=1; fi; \
	  done; \
	done; \
	if [ -z "$$langs" ]; then echo "conformance-compare: only Rust results so far ($$n vectors)"; \
	elif [ "$$status" -eq 0 ]; then echo "conformance-compare: rust and$$langs agree on $$n vectors"; fi; \
	exit $$status

TEST_TARGETS += conformance-compare
