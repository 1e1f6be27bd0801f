# Python package (python/): a virtualenv in build/venv, the extension built by maturin into
# the workspace target/ (so it reuses what cargo already compiled), pytest against the
# sandbox binary, mypy.stubtest of the hand-written stubs against the built module, and mypy
# --strict on the examples.
PY_VENV := $(BUILD)/venv
PY_BIN := $(PY_VENV)/bin
PY_WHEELS := $(BUILD)/python-wheels
PY_SANDBOX_BIN := $(ROOT)/target/debug/wablock-sandbox

.PHONY: python-venv python-build python-wheel python-test

$(PY_VENV)/.installed: python/requirements-dev.txt
	python3 -m venv $(PY_VENV)
	$(PY_BIN)/python -m pip install -q --disable-pip-version-check -r python/requirements-dev.txt
	touch $@

python-venv: $(PY_VENV)/.installed ## create build/venv with the pinned Python dev tools

python-build: python-venv ## build the extension (dev profile) and install it into build/venv
	rm -rf $(PY_WHEELS)
	$(PY_BIN)/maturin build --quiet --locked -m python/Cargo.toml --profile dev -i $(PY_BIN)/python -o $(PY_WHEELS)
	$(PY_BIN)/python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps $(PY_WHEELS)/*.whl

python-wheel: python-venv ## build the release abi3 wheel into build/python-wheels
	$(PY_BIN)/maturin build --release --locked -m python/Cargo.toml -i $(PY_BIN)/python -o $(PY_WHEELS)

python-test: python-build ## pytest (sandbox API, conformance, threads), stubtest, mypy --strict on python/examples
	$(CARGO_BUILD_ALL)
	WABLOCK_SANDBOX_BIN=$(PY_SANDBOX_BIN) $(PY_BIN)/pytest -q -p no:cacheprovider python/tests
	$(PY_BIN)/python -m mypy.stubtest --mypy-config-file $(ROOT)/python/pyproject.toml wablock._wablock
	$(PY_BIN)/mypy --strict --no-incremental python/examples/

TEST_TARGETS += python-test
