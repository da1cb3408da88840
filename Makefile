# Two commands for a fresh machine with Python >= 3.12: `make run` and `make test`.
SHELL := /bin/bash
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
MANAGE := $(UV) run --frozen python manage.py

.PHONY: run test lint format audit bench uv sync

uv:
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || python3 -m pip install --user --quiet uv || python3 -m pip install --quiet --break-system-packages --user uv

sync: uv
	@$(UV) sync --frozen --quiet

## Start the app with the demo data on SQLite at http://127.0.0.1:$(PORT), with its task worker
run: sync
	@DEBUG=true $(MANAGE) migrate --no-input -v 0
	@DEBUG=true $(MANAGE) load_demo
	@echo "PlatformHub on http://127.0.0.1:$(PORT)/ (the task worker runs alongside; Ctrl-C stops both)"
	@DEBUG=true $(MANAGE) worker --no-startup-delay & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  DEBUG=true $(MANAGE) runserver 127.0.0.1:$(PORT)

## Run the whole test suite (browser tests too, where Chromium is installed)
test: sync
	@$(UV) run --frozen pytest -n auto --dist worksteal  # a worker per CPU, each with its own test database; an idle one takes tests queued for another

lint: sync
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .

## bandit over the app (fails on a high-severity finding) and pip-audit over the locked dependencies
audit: sync
	@$(UV) run --frozen bandit --quiet --recursive platformhub okrs sprints integrations --exclude '*/migrations/*' --severity-level high && echo 'bandit: no high-severity findings'
	@$(UV) export --frozen --quiet --format requirements-txt --no-hashes --no-emit-project > .audit-requirements.txt
	@if curl --silent --fail --max-time 10 --output /dev/null https://pypi.org/pypi/pip/24.0/json; then \
	  $(UV) run --frozen pip-audit --strict --disable-pip --no-deps --requirement .audit-requirements.txt; status=$$?; \
	else \
	  echo "pip-audit: NOT RUN. The vulnerability service (pypi.org/pypi/<package>/<version>/json) cannot be reached from this machine."; status=0; \
	fi; rm -f .audit-requirements.txt; exit $$status

## Page speed at the S and L scale sizes against the stack's own baseline, then a load run (needs wrk)
bench: sync
	@command -v wrk >/dev/null 2>&1 || { echo "make bench needs wrk for its load run: apt-get install -y wrk"; exit 1; }
	@$(UV) run --frozen python benchmarks/bench.py $(BENCH_ARGS)

format: sync
	@$(UV) run --frozen ruff check --fix .
	@$(UV) run --frozen ruff format .
