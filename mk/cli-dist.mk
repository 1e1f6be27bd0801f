# The wablock CLI as a user gets it: the workspace's release profile, stripped, under 12 MB
# (`cli-dist`), and `cargo install --path crates/wablock-cli` into a scratch root, run from
# outside the checkout (`cli-install-check`). Both run in `make test`: the release build shares
# its dependencies with the C library's release build (about 80 s more on 2 cores), and
# `cargo install` then reuses it.
CLI_DIST := $(BUILD)/cli-dist
CLI_MAX_BYTES := 12582912

.PHONY: cli-dist cli-install-check

cli-dist: ## stripped release wablock binary into build/cli-dist; fails at 12 MB or more
	$(CARGO) build --release --locked -p wablock-cli
	rm -rf $(CLI_DIST) && mkdir -p $(CLI_DIST)
	cp target/release/wablock $(CLI_DIST)/wablock
	strip $(CLI_DIST)/wablock
	@set -euo pipefail; bin=$(CLI_DIST)/wablock; size=$$(stat -c %s $$bin); \
	if readelf -SW $$bin | grep -E '\.debug_(info|line|str|abbrev)|\.symtab' >/dev/null; then echo "cli-dist: $$bin is not stripped"; exit 1; fi; \
	[ $$size -lt $(CLI_MAX_BYTES) ] || { echo "cli-dist: wablock is $$size bytes (limit 12 MB)"; exit 1; }; \
	$$bin --version >/dev/null; \
	echo "cli-dist: $$bin, $$((size / 1024)) KiB, stripped"

cli-install-check: ## cargo install --path crates/wablock-cli into a scratch root; run it outside the checkout
	@set -euo pipefail; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	$(CARGO) install --quiet --locked --path crates/wablock-cli --root $$dir/root --target-dir $(ROOT)/target; \
	cd $$dir; \
	./root/bin/wablock --version | grep -qx "wablock $(INSTALL_VERSION)"; \
	./root/bin/wablock --sandbox check +16505559876 | grep -q "is blocked"; \
	./root/bin/wablock completions bash | grep _wablock >/dev/null; \
	./root/bin/wablock man | grep '^\.TH wablock 1' >/dev/null; \
	echo "cli-install-check: cargo install --path crates/wablock-cli works; the installed wablock runs outside the checkout"

TEST_TARGETS += cli-dist cli-install-check
