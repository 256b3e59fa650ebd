# WISE Portal: `make run` and `make test` are the two commands a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
PYTEST := $(BIN)/python -m pytest
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test test-sqlite test-postgres lint format browser-deps venv \
        babel-extract babel-update babel-compile clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed."; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## make run: the portal on http://127.0.0.1:5000 with the embedded SQLite database and demo data
run: $(STAMP) babel-compile
	$(FLASK) db upgrade
	$(FLASK) portal demo --if-empty
	@echo ""
	@echo "WISE Portal is starting on http://$(HOST):$(PORT)"
	@echo "Log in with a demo login above (password: wise-demo-2026). Stop with Ctrl+C."
	$(FLASK) run --host $(HOST) --port $(PORT)

## make test: the whole suite on SQLite, then on a throw-away PostgreSQL, browser tests included
test: $(STAMP) browser-deps babel-compile
	$(BIN)/ruff check .
	$(PYTEST) -p no:cacheprovider -n 2 --dist loadfile
	PORTAL_TEST_BACKEND=postgresql scripts/with-postgres $(PYTEST) -p no:cacheprovider -n 2 --dist loadfile

test-sqlite: $(STAMP) babel-compile
	$(PYTEST) $(ARGS)

test-postgres: $(STAMP) babel-compile
	PORTAL_TEST_BACKEND=postgresql scripts/with-postgres $(PYTEST) $(ARGS)

## Chromium from Debian's packages (Playwright's own download does not work here)
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium'"; exit 1; fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check portal tests bench config.py wsgi.py

format: $(STAMP)
	$(BIN)/ruff format portal tests bench config.py wsgi.py
	$(BIN)/ruff check --fix .

## Translations: extract the strings, merge them into each catalogue, compile
babel-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs ".* .venv" -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output \
	  --project "WISE Portal" -o portal/translations/messages.pot .

babel-update: babel-extract
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching

babel-compile: $(STAMP)
	$(BIN)/pybabel -q compile -d portal/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
