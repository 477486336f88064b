# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup bytecode run test check lint bench clean

setup: $(STAMP)

# The dask extra too: the tests run a Dask LocalCluster (tests/unit/test_shards_dask.py).
# torch is installed first and pinned: a CPU wheel of 2.13.0 is on this machine's disk,
# while a floating torch requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,dask]'
	$(MAKE) --no-print-directory bytecode
	touch $(STAMP)

# An editable install leaves our modules uncompiled, and with PYTHONDONTWRITEBYTECODE set
# (as here) every `qa` start would compile them again (~0.1 s); a wheel install ships them
# compiled. Stale files are simply recompiled in memory, so this only ever saves time.
bytecode:
	$(BIN)/python -m compileall -q qa index tui

run: setup
	$(BIN)/qa

# Two workers, one test file each at a time (a file's module fixtures are built once): most
# tests wait on the `qa` processes they start, so two share the 2 CI cores well.
test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=25 -n 2 --dist loadfile

lint: setup
	$(BIN)/ruff check qa index tui tests bench
	$(BIN)/ruff format --check qa index tui tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

check: lint test

bench: setup bytecode
	$(BIN)/python bench/run.py $(ARGS)

clean:
	rm -rf $(VENV)
