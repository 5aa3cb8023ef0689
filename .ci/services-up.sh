#!/usr/bin/env bash
# Start what the tests need that the test process cannot start itself.
# Ray heads are started by the test fixtures (sovtui's own embedded-head launcher).
# The Docker engine part is added by .ci/docker-setup.sh when present.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .ci/docker-setup.sh ]; then
    bash .ci/docker-setup.sh
fi
