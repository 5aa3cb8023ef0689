# sovtui: `make run` opens the dashboard, `make test` runs the whole suite; both set up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-fast lint bench bench-sort bench-sort-large bench-train bench-compose bench-slurm clean services services-stop image docker-setup docker-teardown

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch is pinned (extra "train"): unpinned, pip would pull several GB of CUDA wheels.
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

setup: $(STAMP)
	@# An editable install has no bytecode yet (and PYTHONDONTWRITEBYTECODE may forbid
	@# writing it at import): compile it as an installer would, or every start recompiles.
	$(BIN)/python -m compileall -q sovtui

run: setup
	$(BIN)/sovtui $(ARGS)

services: setup
	bash .ci/services-up.sh $(BIN)/python

docker-setup:            ## install docker.io/docker-compose/debootstrap if missing, start dockerd
	bash .ci/docker-setup.sh

docker-teardown:         ## stop the dockerd that docker-setup started (only that one)
	bash .ci/docker-teardown.sh

image: setup docker-setup ## build the cluster image; skipped when its content-hash tag exists
	$(BIN)/sovtui image build

services-stop:
	bash .ci/services-down.sh

test: setup services
	status=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	bash .ci/services-down.sh; exit $$status

test-fast: setup
	$(BIN)/python -m pytest -m "not ray and not docker and not slurm" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check sovtui tests
	$(BIN)/ruff format --check sovtui tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m tests.bench.run_all $(ARGS)

bench-sort: setup       ## 20M-key sample sort vs its limit, numpy.sort and Ray Data, scaling 1,2
	$(BIN)/sovtui bench sort --keys 20000000 --baselines --workers 1,2 --repeat 5 $(ARGS)

bench-sort-large: setup ## 200M keys (1.6 GB; ~8 GB of memory in all) vs its limit and numpy.sort
	$(BIN)/sovtui bench sort --keys 200000000 --baselines --no-ray-data --repeat 3 $(ARGS)

bench-train: setup      ## data-parallel training, 1 vs 2 workers taking turns (best of 3), vs single-process torch
	$(BIN)/sovtui bench train --baselines --workers 1,2 --repeat 3 $(ARGS)

bench-slurm: setup       ## sbatch -> attached and `slurm down` -> no Ray process (needs .ci/slurm-up.sh)
	PYTHONPATH=. $(BIN)/python tests/bench/bench_slurm.py $(ARGS)

bench-compose: image     ## up 1 vs 3 workers, sovtui vs docker-compose
	$(BIN)/python tests/bench/bench_compose_up.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
