# Countertop: `make run` starts the app (demo shop when none exists), `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint typecheck clean engine screenshots

# Qt needs a few system libraries even offscreen; install them when missing (root + apt).
QT_LIBS := libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@QT_QPA_PLATFORM=offscreen $(BIN)/python -c "from PySide6 import QtGui" 2>/dev/null || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(QT_LIBS); \
	    else echo "Qt needs: $(QT_LIBS) (install them with your package manager)"; fi; }
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/countertop ui

engine: $(STAMP)
	$(BIN)/countertop engine

# lint and type checks first: they take seconds and fail for the same reasons CI would
test: lint typecheck
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q tests -m "not bench"

# Tests save screenshots to build/screenshots/; this refreshes the README's tracked copies.
screenshots: $(STAMP)
	COUNTERTOP_SCREENSHOTS=docs/screenshots QT_QPA_PLATFORM=offscreen \
	  $(BIN)/python -m pytest -q tests/ui/test_screenshots.py

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.bench

typecheck: $(STAMP)
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check app sync devices tests

clean:
	rm -rf $(VENV) build *.egg-info
