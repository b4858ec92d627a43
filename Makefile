# Two commands for a fresh machine with Python 3.11+:
#   make run    set up, migrate, load the demo clinic once, serve on :8000 (or $PORT)
#   make test   set up with test tools and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install install-test bench bench-10x bench-soak bench-setup clean

run: $(STAMP)
	$(BIN)/clinic migrate
	$(BIN)/clinic demo --if-empty
	$(BIN)/clinic serve

# Two workers by default (TEST_WORKERS=0 runs in one process); each has databases of its own.
TEST_WORKERS ?= 2
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Year five on SQLite and (when reachable at CLINIC_BENCH_MYSQL_URL) MariaDB; results in bench/results/latest.md.
bench: $(TEST_STAMP) bench-setup
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-10x: $(TEST_STAMP) bench-setup
	$(BIN)/python -m bench --scale 10x $(BENCH_ARGS)

# The memory budget is SQLite's; BENCH_ARGS=--backends=sqlite,mariadb soaks both (twenty minutes more).
bench-soak: $(TEST_STAMP) bench-setup
	$(BIN)/python -m bench --backends sqlite --soak 600 $(BENCH_ARGS)

# Debian's wrk drives the load; without it (not root, no apt) the async client process does, and says so.
bench-setup:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; } || true; \
	  fi; \
	  command -v wrk >/dev/null 2>&1 || echo "wrk is not installed: the async client process will drive the load"; }

install: $(STAMP)
install-test: $(TEST_STAMP)

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Clinic needs Python 3.11 or newer; set PYTHON=python3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(VENV)/bin/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# axe-core for the accessibility gate comes from npm (tests/browser/package.json);
# without npm that gate skips with one line (CI installs npm).
$(TEST_STAMP): $(STAMP) pyproject.toml tests/browser/package-lock.json
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the accessibility gate will skip (install npm, then npm ci --prefix tests/browser)"; \
	fi
	@touch $@

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache tests/browser/node_modules
