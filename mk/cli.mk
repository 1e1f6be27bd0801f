demo: ## run the CLI's walkthrough on its embedded sandbox
	@echo "make demo arrives with the CLI (crates/wablock-cli)"
