# Two entry points: `make run` (install and start the app) and `make test` (install and run all tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8501

.PHONY: run test test-fast install system-deps lint format validate bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests need: chromium (browser tests), poppler-utils (pdftotext), and PostgreSQL 15 with
# PostGIS 3 (the PostgreSQL storage backend; tests/pg_server.py starts a throwaway server). Only missing ones are
# installed.
PG_DEBS := postgresql postgresql-15-postgis-3
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	for pkg in $(PG_DEBS); do dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "ok installed" || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

run: install
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	for p in profiles/*/profile.toml; do $(BIN)/python -m ktxh_geo validate --profile $$(basename $$(dirname $$p)) || exit 1; done
	$(BIN)/pytest

# The quick loop while working: unit tests that start no process, server or browser.
test-fast: install
	$(BIN)/pytest tests/unit -m "not slow" -q

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

validate: install
	for p in profiles/*/profile.toml; do $(BIN)/python -m ktxh_geo validate --profile $$(basename $$(dirname $$p)) || exit 1; done

bench: install
	$(BIN)/python -m ktxh_geo bench

clean:
	rm -rf $(VENV) .pytest_cache
