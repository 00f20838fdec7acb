# Exitus — the two commands: `make run` and `make test`. See README.md.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
RPA_SIMULATOR_PORT ?= 8765

# make run is a development stack: DEBUG on, demo data, the RPA simulator as the robots.
# BILLING_PUBLIC_BASE_URL is where robots fetch invoice files (the SAT upload's url_arquivo): it
# follows PORT, so `make run PORT=8123` works end to end (set it yourself behind a proxy).
RUN_ENV := DEBUG=true RPA_API_URL=$${RPA_API_URL:-http://127.0.0.1:$(RPA_SIMULATOR_PORT)} \
	RPA_API_TOKEN=$${RPA_API_TOKEN:-dev-rpa-token} PORT=$(PORT) HOST=$(HOST) RPA_SIMULATOR_PORT=$(RPA_SIMULATOR_PORT) \
	BILLING_PUBLIC_BASE_URL=$${BILLING_PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} \
	TZ=$${TZ:-America/Sao_Paulo}
# TZ: honcho stamps each line with its own clock; Django logs in TIME_ZONE (America/Sao_Paulo).
# One zone for both, so a line never shows two different times.

.PHONY: run test fuzz bench lint format venv install install-dev migrate clean help

help:
	@echo "make run    - install, migrate, seed demo data, start web + worker + beat + RPA simulator"
	@echo "make test   - install test tools and run the whole suite"
	@echo "make fuzz   - schema-driven fuzz run of the whole API (no 5xx, responses match the schema)"
	@echo "make bench  - benchmarks against PostgreSQL on loopback (prints JSON lines)"
	@echo "make lint   - ruff check + format check + import contracts (lint-imports)"

$(PY):
	@test -n "$(PYTHON)" || (echo "Python 3.11+ is required (python3.11, python3.12 or python3.13 on PATH)." && exit 1)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

venv: $(PY)

$(VENV)/.installed-prod: requirements/base.txt requirements/prod.txt | $(PY)
	$(PY) -m pip install -q -r requirements/prod.txt
	@touch $@

$(VENV)/.installed-dev: requirements/base.txt requirements/prod.txt requirements/dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements/dev.txt
	@touch $@ $(VENV)/.installed-prod

install: $(VENV)/.installed-prod
install-dev: $(VENV)/.installed-dev

migrate: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput

# A development .env on the first `make run`, so later `manage.py` commands in this checkout
# (shell, seed_demo, backfill_prices...) run with the same development settings. Gitignored;
# tests ignore it. Delete it to start over; production never uses it.
.env:
	@printf '# Development settings written by `make run` (never commit; tests ignore this file).\nDEBUG=true\nSECRET_KEY=%s\nRPA_API_URL=http://127.0.0.1:$(RPA_SIMULATOR_PORT)\nRPA_API_TOKEN=dev-rpa-token\n' \
		"$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "Wrote .env (development settings)."

run: install .env
	@$(RUN_ENV) $(PY) manage.py migrate --noinput -v 0
	@$(RUN_ENV) $(PY) manage.py seed_demo
	@$(RUN_ENV) $(PY) manage.py setup_periodic_tasks
	@$(RUN_ENV) $(PY) manage.py dev_banner
	@$(RUN_ENV) $(VENV)/bin/honcho -f exitus/Procfile.dev -d . start

# Parallel across the cores (pytest-xdist); each worker has its own test database and Redis database.
# Prints line and branch coverage and holds its bars: 80 % overall, 90 % for each module that
# computes money or tax (.ci/coverage_bars.py).
test: install-dev
	$(PY) -m pytest -n auto --cov --cov-branch --cov-report=term:skip-covered --cov-fail-under=80 $(PYTEST_ARGS)
	$(PY) .ci/coverage_bars.py

# The schema-driven fuzz run over the whole API (schemathesis, fixed seed, bounded): CI runs it.
fuzz: install-dev
	$(PY) -m pytest -n auto -m fuzz exitus/tests/test_api_fuzz.py $(PYTEST_ARGS)

bench: install-dev
	$(PY) bench/run.py $(BENCH_ARGS)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf var db.sqlite3 db.sqlite3-wal db.sqlite3-shm
