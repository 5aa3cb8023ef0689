# Compose-on-Docker targets (other targets may join this file).
PYTHON ?= python
export PYTHONPATH := $(CURDIR)

.PHONY: docker-setup docker-teardown image test-docker bench-compose

docker-setup:            ## install docker.io/docker-compose/debootstrap if missing, start dockerd
	.ci/docker-setup.sh

docker-teardown:         ## stop the dockerd that docker-setup started (only that one)
	.ci/docker-teardown.sh

image: docker-setup      ## build sovtui/ray once; skipped when the content-hash tag exists
	$(PYTHON) -m sovtui.cluster.image_build

test-docker: image       ## the real-engine suite (CI=true turns skips into failures)
	$(PYTHON) -m pytest -m docker tests/integration/test_compose_cluster.py

bench-compose: image     ## up 1 vs 3 workers, sovtui vs docker-compose
	$(PYTHON) tests/bench/bench_compose_up.py
