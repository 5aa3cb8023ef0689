#!/usr/bin/env bash
# Start what the tests need that the test process does not start itself: the Docker engine
# (installed from Debian when missing) and the cluster image (built once, registry-free).
# A private one-node Slurm on 127.0.0.1 (slurm-up.sh; the tests read .ci/state/slurm.env).
# Ray heads are started by the test fixtures with sovtui's own embedded-head launcher.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${1:-.venv/bin/python}"
bash .ci/docker-setup.sh
bash .ci/ssh-setup.sh    # ssh + sshd for the tunnel tests (each session starts its own sshd)
bash .ci/slurm-up.sh
"$PYTHON" -m sovtui image build
