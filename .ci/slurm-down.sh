#!/usr/bin/env bash
# Stop the Slurm that slurm-up.sh started (by its recorded pids: slurmd, then slurmctld, then
# munged), remove its run dir, and nothing else.
set -uo pipefail
cd "$(dirname "$0")/.."
ENV_FILE="${SOVTUI_SLURM_ENV:-.ci/state/slurm.env}"
if [[ ! -f "$ENV_FILE" ]]; then
    echo "slurm-down: no $ENV_FILE; nothing was started by slurm-up.sh"
    exit 0
fi
# shellcheck disable=SC1090
source "$ENV_FILE"

stop() {  # pid, expected /proc/PID/comm: a recycled pid is left alone
    local pid="$1" name="$2"
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null && [[ "$(cat /proc/"$pid"/comm 2>/dev/null)" == "$name" ]]; then
        kill -TERM "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        echo "slurm-down: stopped $name $pid"
    fi
}

stop "${SLURMD_PID:-}" slurmd
stop "${SLURMCTLD_PID:-}" slurmctld
stop "${MUNGED_PID:-}" munged
if [[ -n "${SOVTUI_SLURM_RUN:-}" && "$SOVTUI_SLURM_RUN" == /tmp/sovtui-slurm.* ]]; then
    rm -rf "$SOVTUI_SLURM_RUN"
fi
rm -f "$ENV_FILE"
