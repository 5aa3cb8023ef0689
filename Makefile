# sovtui: `make run` opens the dashboard, `make test` runs the whole suite; both set up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-fast lint bench clean services services-stop

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch is pinned (extra "train"): unpinned, pip would pull several GB of CUDA wheels.
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/sovtui $(ARGS)

services:
	bash .ci/services-up.sh

services-stop:
	bash .ci/services-down.sh

test: setup services
	status=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	bash .ci/services-down.sh; exit $$status

test-fast: setup
	$(BIN)/python -m pytest -m "not ray and not docker" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check sovtui tests
	$(BIN)/ruff format --check sovtui tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m tests.bench.run_all $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
