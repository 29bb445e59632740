# AidTracker: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL := postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run serve test lint install install-test browser clean messages fuzz-deep load-bench

TRANSLATIONS := aidtracker/translations
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))
BABEL_KEYWORDS := -k _l -k _ln:1,2 -k lazy_gettext -k lazy_ngettext:1,2

run: $(VENV)/.installed $(CATALOGUES)
	$(BIN)/aidtracker db upgrade
	$(BIN)/aidtracker load-demo --if-empty
	$(BIN)/aidtracker run --host 127.0.0.1 --port 5000

# Production: gunicorn with aidtracker/gunicorn_conf.py (workers, timeouts, access log); set
# AIDTRACKER_DATABASE_URL, AIDTRACKER_SECRET_KEY and friends first (README, "Deploying").
serve: $(VENV)/.installed $(CATALOGUES)
	$(BIN)/aidtracker db upgrade
	$(BIN)/gunicorn --config python:aidtracker.gunicorn_conf "aidtracker:create_app()"

test: $(VENV)/.installed-test browser $(CATALOGUES)
	@if $(BIN)/python -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/test', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL answers at 127.0.0.1:5432: the suite runs on SQLite and on PostgreSQL."; \
		AIDTRACKER_TEST_DATABASE_URL=$${AIDTRACKER_TEST_DATABASE_URL:-$(PG_TEST_URL)} $(BIN)/pytest -n auto; \
	else \
		echo "PostgreSQL does not answer at 127.0.0.1:5432: the suite runs on SQLite only."; \
		$(BIN)/pytest -n auto; \
	fi

# Twenty times the hypothesis cases of the fuzz tests (a few minutes per database).
fuzz-deep: $(VENV)/.installed-test $(CATALOGUES)
	AIDTRACKER_FUZZ_SCALE=20 AIDTRACKER_TEST_DATABASE_URL=$${AIDTRACKER_TEST_DATABASE_URL:-$(PG_TEST_URL)} \
		$(BIN)/pytest -p no:cacheprovider tests/fuzz tests/imports/test_reader_fuzz.py

# gunicorn (4 workers) on a throw-away PostgreSQL database of 20,000 shipments, driven by wrk
# (Debian's package, installed when missing and we may); prints throughput and latencies.
load-bench: $(VENV)/.installed $(CATALOGUES)
	@if ! command -v wrk >/dev/null && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's wrk for the load bench"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi
	$(BIN)/python bench/load_bench.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check aidtracker tests bench

# Translations: the compiled catalogues (.mo) are built here, never committed. After changing
# strings, `make messages` extracts them again and adds the new ones to each language's .po.
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS) -l $* -i $< -o $@

messages: $(VENV)/.installed
	$(BIN)/pybabel extract --no-location --sort-output -F $(TRANSLATIONS)/babel.cfg $(BABEL_KEYWORDS) \
		--project AidTracker -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

# Headless Chromium for the browser journeys comes from Debian; it is installed when missing and
# we may (root); otherwise the browser tests skip and say why.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "Could not install chromium: the browser tests will be skipped."; \
	fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(CATALOGUES)
