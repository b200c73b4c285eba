# The two commands in the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Local development runs with DEBUG on; production sets its own environment (see .env.example).
DEV := DEBUG=1
# The demo runs with the Chinese practice on (approvals, consents, two-person checks): CHINESE_PRACTICE=0 make run turns it off.
CHINESE_PRACTICE ?= 1

.PHONY: run test lint migrations-check bench loadtest mutation audit clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Apheresis Planner needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

# Translations are compiled at install (polib: no gettext needed), and again when a .po changes.
PO := $(wildcard planner/locale/*/LC_MESSAGES/django.po)
MO := $(PO:.po=.mo)
$(MO): $(PO) $(VENV)/.installed
	$(DEV) $(BIN)/python manage.py compile_translations

## run: install, migrate, load the catalogue and demo data, serve http://127.0.0.1:8000 (SQLite unless DATABASE_URL)
run: $(VENV)/.installed $(MO)
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py load_catalogue
	$(DEV) $(BIN)/python manage.py seed_demo
	$(DEV) CHINESE_PRACTICE=$(CHINESE_PRACTICE) $(BIN)/python manage.py runserver 127.0.0.1:8000

## test: the whole suite (SQLite unless DATABASE_URL=postgres://...)
test: $(VENV)/.installed-dev $(MO)
	$(BIN)/pytest

## lint: ruff and a check that no model change lacks its migration
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) migrations-check

## bench: timings on a scratch SQLite database (never your own)
BENCH_DB := $(CURDIR)/.bench.sqlite3
bench: $(VENV)/.installed-dev
	rm -f $(BENCH_DB)
	$(DEV) DATABASE_URL=sqlite:///$(BENCH_DB) $(BIN)/python manage.py migrate -v0
	$(DEV) DATABASE_URL=sqlite:///$(BENCH_DB) $(BIN)/python manage.py bench
	rm -f $(BENCH_DB)

## loadtest: gunicorn on loopback, wrk and 50 scripted users for 60 s, on a scratch PostgreSQL database
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/planner_load
loadtest: $(VENV)/.installed-dev
	$(BIN)/python -m tests.load --database-url $(LOAD_DATABASE_URL)

## mutation: mutation testing of the pure core with the fast pure tests; per-module scores (slow, not in `test`)
mutation: $(VENV)/.installed-dev
	$(BIN)/python -m tests.mutation

## audit: known vulnerabilities in the pinned requirements (needs the advisory data), and bandit over the code
audit: $(VENV)/.installed-dev
	$(BIN)/python -m tests.audit

migrations-check: $(VENV)/.installed
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache mutants
