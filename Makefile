# forewarn: two commands on a fresh machine with Python 3.11+ and make.
#   make demo   install, then run the whole pipeline on a synthetic fleet
#   make test   install, then run lint and the test suite
#   make test-fast  the same without the slow end-to-end tests (the developers' loop)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench servers servers-stop clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: install
	$(BIN)/forewarn demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r .

test: install lint
	$(BIN)/python -m pytest -q

test-fast: install lint
	$(BIN)/python -m pytest -q -m "not slow and not integration"

# Real local Prefect (:4200) and MLflow (:5000) servers on loopback, state in the workspace;
# prints the PREFECT_API_URL / MLFLOW_TRACKING_URI exports. `make servers-stop` ends them.
servers: install
	$(BIN)/forewarn servers start

servers-stop: install
	$(BIN)/forewarn servers stop

clean:
	rm -rf .forewarn .pytest_cache .ruff_cache
