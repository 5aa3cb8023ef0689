#!/usr/bin/env bash
# Make a Docker engine answer on this machine, idempotently.
# - installs docker.io, docker-compose and debootstrap from Debian when missing (needs root);
# - starts dockerd only when nothing answers, logging to $SOVTUI_DOCKERD_LOG and recording the
#   pid in $SOVTUI_DOCKERD_PID so docker-teardown.sh stops that dockerd and no other;
# - waits until `docker info` works.
set -euo pipefail

LOG="${SOVTUI_DOCKERD_LOG:-/tmp/sovtui-dockerd.log}"
PIDFILE="${SOVTUI_DOCKERD_PID:-/tmp/sovtui-dockerd.pid}"
WAIT_S="${SOVTUI_DOCKERD_WAIT:-60}"

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if ((${#need[@]})); then
    echo "docker-setup: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

if docker info >/dev/null 2>&1; then
    echo "docker-setup: an engine already answers (${DOCKER_HOST:-unix:///var/run/docker.sock})"
    # Not ours to stop: forget any pid an earlier run left, so teardown leaves it running.
    rm -f "$PIDFILE"
    exit 0
fi

if [[ -n "${DOCKER_HOST:-}" && "${DOCKER_HOST}" != unix:///var/run/docker.sock ]]; then
    echo "docker-setup: DOCKER_HOST=${DOCKER_HOST} does not answer; not starting a local dockerd" >&2
    exit 1
fi

echo "docker-setup: starting dockerd (log: $LOG)"
# setsid: dockerd must outlive this script and the CI step's process group.
setsid dockerd >"$LOG" 2>&1 < /dev/null &
echo $! >"$PIDFILE"

for _ in $(seq "$WAIT_S"); do
    if docker info >/dev/null 2>&1; then
        echo "docker-setup: engine ready (pid $(cat "$PIDFILE"))"
        exit 0
    fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "docker-setup: dockerd exited; last log lines:" >&2
        tail -20 "$LOG" >&2
        exit 1
    fi
    sleep 1
done
echo "docker-setup: dockerd did not answer within ${WAIT_S}s; see $LOG" >&2
exit 1
