# `make demo` and `make test` each build .venv from scratch when needed, so both work on a
# fresh clone. torch is pinned to the CPU wheel that lies on this machine's disk.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

.PHONY: demo docs test lint typecheck unit browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --disable-pip-version-check -e '.[torch]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.demo-installed $(VENV)/.docs-installed

$(VENV)/.docs-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --disable-pip-version-check -e '.[docs]'
	touch $@

# The documentation site, into site/: runs every tutorial in docs/tutorials/ and fails on any
# warning or broken link (mkdocs.yml sets strict). TUNECRAFT_DOCS_EXECUTE=false skips the runs.
# docs/doctor/img is rebuilt here too; its committed copy serves the fast build in the tests.
docs: $(VENV)/.docs-installed
	$(BIN)/python docs/doctor/make_plots.py  # the doctor pages' before/after runs (~1 min)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

demo: $(VENV)/.demo-installed
	$(BIN)/python examples/digits_mlp.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check tunecraft tests examples benchmarks

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

# Two pytest workers, a test file per worker at a time (module fixtures are built once); each
# worker gets its own PostgreSQL schema and temporary folders (tests/conftest.py).
unit: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# The browser tests (tests/browser) drive Debian's Chromium through Playwright, never a browser
# download of Playwright's own; install it when it is absent (CI runs as root; idempotent).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver)

# mypy runs beside pytest (-j2): pytest mostly keeps one core busy, so the type check costs no
# wall time; the run fails when either fails.
test: lint browser
	$(MAKE) --no-print-directory -j2 typecheck unit

bench: $(VENV)/.dev-installed
	$(PIP) install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) site docs/generated .mypy_cache .ruff_cache .pytest_cache .hypothesis
