# Everything runs from a local virtual environment in .venv, made on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean
.PHONY: demo-asgi signals-demo

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The notes demo (examples/notes) on http://127.0.0.1:5000/, in the foreground.
demo: $(STAMP)
	cd examples/notes && $(CURDIR)/$(BIN)/python -m notes --host 127.0.0.1 --port 5000

# The same demo under ASGI, served by uvicorn.
demo-asgi: $(STAMP)
	@echo " * Tocsin notes demo (ASGI): http://127.0.0.1:5000/  (lifecycle: /lifecycle; Ctrl+C stops)"
	cd examples/notes && $(CURDIR)/$(BIN)/uvicorn asgi:app --host 127.0.0.1 --port 5000

signals-demo: $(STAMP)
	$(BIN)/python examples/signals_demo.py

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/signals.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
