#!/usr/bin/env bash
# Stop only what services-up.sh started (it records pids); never anything by broad name.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -f .ci/docker-teardown.sh ]; then
    bash .ci/docker-teardown.sh || true
fi
bash .ci/slurm-down.sh || true
