# Two commands: `make run` starts the app, `make test` runs every check. Both install what they need.
PYTHON ?= python3
PORT   ?= 8501
# one pytest worker per core (pytest-xdist); a module's tests stay on one worker (its fixtures start once)
PYTEST_PARALLEL ?= -n auto --dist loadscope
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-fast bench lint clean screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[app,dev]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	@if [ -n "$$(command -v chromium || command -v chromium-browser)" ]; then \
		echo "== browser tests: chromium found at $$(command -v chromium || command -v chromium-browser)"; \
	else \
		echo "== browser tests: NO chromium found -> the e2e tests will be SKIPPED (apt-get install chromium)"; \
	fi
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

# the edit loop: every test but those marked slow (fuzzing, concurrency, browser); `make test` runs them all
test-fast: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not slow"

# refresh the README screenshots (docs/screenshots): calculator at 1440 px and on a 390 x 844 phone, the other
# pages; `make test` writes its screenshots to a temporary folder and leaves the working tree clean
screenshots: $(STAMP)
	SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest tests/e2e -q -k "desktop_1440 or phone_shows or visit_page"

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
