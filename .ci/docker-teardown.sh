#!/usr/bin/env bash
# Stop the dockerd that docker-setup.sh started (by its recorded pid), and nothing else.
set -euo pipefail
PIDFILE="${SOVTUI_DOCKERD_PID:-/tmp/sovtui-dockerd.pid}"
if [[ ! -f "$PIDFILE" ]]; then
    echo "docker-teardown: no pid file ($PIDFILE); dockerd was not started by docker-setup.sh"
    exit 0
fi
pid="$(cat "$PIDFILE")"
if kill -0 "$pid" 2>/dev/null && [[ "$(cat /proc/"$pid"/comm 2>/dev/null)" == dockerd ]]; then
    kill -TERM "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    echo "docker-teardown: stopped dockerd $pid"
fi
rm -f "$PIDFILE"
