# Two entry points: `make demo` (set up and start on SQLite with demo data), `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
PORT ?= 5000
# The first Python 3.11+ found on the PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& { echo $$p; break; }; done)

.PHONY: install demo run test bench translations clean

$(STAMP): requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo
	$(BIN)/flask --app wsgi import-sample
	@echo "Open http://127.0.0.1:$(PORT)/login"
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

# Installs chromium and redis-server from Debian when missing; conftest.py starts a throwaway
# Redis for the run when none answers at REDIS_URL.
test: install
	@scripts/test-prerequisites $(BIN)/python
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o admin_app/translations/messages.pot admin_app wsgi.py >/dev/null
	$(BIN)/pybabel update --no-fuzzy-matching -i admin_app/translations/messages.pot -d admin_app/translations
	$(BIN)/pybabel compile -d admin_app/translations

clean:
	rm -rf $(VENV) instance/*.sqlite3 instance/*.sqlite3-wal instance/*.sqlite3-shm
