# One version everywhere (Cargo, the Python package, the POM, the C header, Package.swift, the
# Go release tag in docs/go.md): scripts/check-versions.sh fails when any of them differs.
.PHONY: version-check

version-check: ## fail if the version differs between Cargo, pyproject, POM, header, Package.swift, Go tag
	scripts/check-versions.sh

TEST_TARGETS += version-check
