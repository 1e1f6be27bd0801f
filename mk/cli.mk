# The wablock CLI (crates/wablock-cli). Its end-to-end tests run under `cargo test --workspace`.
.PHONY: demo cli

demo: ## build the CLI and walk through the API on its embedded sandbox
	@$(CARGO) build -q -p wablock-cli --locked
	@$(CARGO) run -q -p wablock-cli --locked -- demo

cli: ## build the wablock binary (target/debug/wablock)
	$(CARGO) build -p wablock-cli --locked
