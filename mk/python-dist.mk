# The Python package as a user gets it: `maturin build --release` (stripped abi3 wheel with a
# manylinux tag) and an sdist, then the wheel installed into a fresh virtualenv and the pytest
# suite run from a scratch directory outside the checkout against that installed package.
PY_DIST := $(BUILD)/python-dist
PY_DIST_VENV := $(BUILD)/python-dist-venv
PY_WHEEL_MAX_BYTES := 8388608

.PHONY: python-dist python-wheel-check python-sdist-check

python-dist: python-venv ## release abi3 wheel + sdist into build/python-dist
	rm -rf $(PY_DIST)
	$(PY_BIN)/maturin build --quiet --release --locked -m python/Cargo.toml -i $(PY_BIN)/python -o $(PY_DIST)
	$(PY_BIN)/maturin sdist -m python/Cargo.toml -o $(PY_DIST)
	@ls -l $(PY_DIST) | awk 'NR > 1 {printf "python-dist: %-60s %6.1f MB\n", $$9, $$5/1048576}'

python-wheel-check: python-dist ## the release wheel: tags, size, stripped; pytest against it installed in a fresh venv, outside the repo
	$(CARGO) build --locked -p wablock-sandbox
	@set -euo pipefail; wheels=($(PY_DIST)/*.whl); \
	[ $${#wheels[@]} -eq 1 ] || { echo "python-wheel-check: expected one wheel, got $${wheels[*]}"; exit 1; }; \
	whl=$${wheels[0]}; name=$$(basename $$whl); \
	[[ $$name =~ ^wablock-$(INSTALL_VERSION)-cp39-abi3-manylinux[a-z0-9_.]*\.whl$$ ]] || \
	  { echo "python-wheel-check: $$name is not a cp39-abi3 manylinux wheel of $(INSTALL_VERSION)"; exit 1; }; \
	size=$$(stat -c %s $$whl); [ $$size -lt $(PY_WHEEL_MAX_BYTES) ] || { echo "python-wheel-check: $$name is $$size bytes (limit 8 MB)"; exit 1; }; \
	dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	$(PY_BIN)/python -m zipfile -e $$whl $$dir/unpacked; \
	so=$$(ls $$dir/unpacked/wablock/_wablock*.so); \
	if readelf -S $$so | grep -qE '\.debug_|\.symtab'; then echo "python-wheel-check: $$(basename $$so) is not stripped"; exit 1; fi; \
	echo "python-wheel-check: $$name, $$((size / 1024)) KiB, extension $$(( $$(stat -c %s $$so) / 1024 )) KiB, stripped"
	rm -rf $(PY_DIST_VENV)
	python3 -m venv $(PY_DIST_VENV)
	$(PY_DIST_VENV)/bin/python -m pip install -q --disable-pip-version-check $(PY_DIST)/*.whl \
	  $$(grep -E '^pytest==' python/requirements-dev.txt)
	@# The source tree is nowhere on sys.path: the tests are copied to a scratch directory (as
	@# python/tests, so their results land in its build/) and import the installed package.
	@set -euo pipefail; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	mkdir -p "$$dir/python"; cp -r python/tests "$$dir/python/tests"; cd "$$dir"; \
	where=$$($(PY_DIST_VENV)/bin/python -c 'import wablock; print(wablock.__file__)'); \
	case "$$where" in $(PY_DIST_VENV)/lib/*/site-packages/wablock/__init__.py) ;; \
	  *) echo "python-wheel-check: wablock imported from $$where, not the fresh venv"; exit 1;; esac; \
	echo "python-wheel-check: wablock $$($(PY_DIST_VENV)/bin/python -c 'import wablock; print(wablock.__version__)') from $$where"; \
	WABLOCK_DOCS_DIR=$(ROOT)/docs WABLOCK_SANDBOX_BIN=$(ROOT)/target/debug/wablock-sandbox WABLOCK_CONFORMANCE_VECTORS=$(ROOT)/tests/conformance/vectors \
	  $(PY_DIST_VENV)/bin/pytest -q -p no:cacheprovider --rootdir "$$dir" python/tests; \
	test -n "$$(ls build/conformance/python/*.json)"

# Builds a wheel from the sdist alone, as pip does where no wheel fits, in a fresh cargo target
# directory (with the workspace's, cargo would find everything fresh and compile nothing). A
# full release build of the crates, so it is not part of make test: run it before a release.
python-sdist-check: python-dist ## pip builds a wheel from the sdist alone (slow: a full release build)
	@set -euo pipefail; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	PATH=$(PY_BIN):$$PATH CARGO_TARGET_DIR="$$dir/target" \
	  $(PY_BIN)/python -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation \
	  -w "$$dir/wheels" $(PY_DIST)/wablock-$(INSTALL_VERSION).tar.gz; \
	ls "$$dir"/wheels/wablock-$(INSTALL_VERSION)-cp39-abi3-*.whl
	@echo "python-sdist-check: the sdist builds a wheel"

TEST_TARGETS += python-wheel-check
