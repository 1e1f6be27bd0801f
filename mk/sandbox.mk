# wablock-sandbox: the local fake of the Block Users API (docs/sandbox.md).
.PHONY: sandbox bench-sandbox

sandbox: ## run the sandbox with demo data (prints its base URL first)
	$(CARGO) run -p wablock-sandbox -- --demo

bench-sandbox: ## measure sandbox throughput (keep-alive GET/POST, 4 client threads, 3 s)
	$(CARGO) run --release -p wablock-sandbox --example throughput -- --threads 4 --seconds 3
