#!/usr/bin/env bash
# A private one-node Slurm on 127.0.0.1 for the tests, idempotently per checkout.
# - installs slurmctld, slurmd, slurm-client and munge from Debian when missing (needs root);
# - makes a fresh run dir (/tmp/sovtui-slurm.XXXXXX) with its own slurm.conf, ports, state and
#   spool dirs, and its own munged socket, so it never meets a site's Slurm or another checkout's;
# - starts munged, slurmctld -D and slurmd -D in the background and records their pids in
#   $SOVTUI_SLURM_ENV (default .ci/state/slurm.env; the tests read SLURM_CONF from it);
# - waits until `srun -n1 true` works. slurm-down.sh stops exactly what this started.
set -euo pipefail
cd "$(dirname "$0")/.."

ENV_FILE="${SOVTUI_SLURM_ENV:-.ci/state/slurm.env}"
WAIT_S="${SOVTUI_SLURM_WAIT:-60}"
REAL_MEMORY_MB="${SOVTUI_SLURM_MEMORY_MB:-8192}"  # what the tests may allocate, not the machine

if [[ -f "$ENV_FILE" ]]; then
    # shellcheck disable=SC1090
    source "$ENV_FILE"
    if kill -0 "${SLURMCTLD_PID:-0}" 2>/dev/null && kill -0 "${SLURMD_PID:-0}" 2>/dev/null \
        && SLURM_CONF="$SLURM_CONF" timeout 20 srun -n1 -t 1 true 2>/dev/null; then
        echo "slurm-up: already running ($SLURM_CONF)"
        exit 0
    fi
    bash .ci/slurm-down.sh
fi

need=()
command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || need+=(slurmd)
command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
command -v munged >/dev/null 2>&1 || need+=(munge)
if ((${#need[@]})); then
    echo "slurm-up: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

RUN="$(mktemp -d /tmp/sovtui-slurm.XXXXXX)"
chmod 0700 "$RUN"
mkdir -p "$RUN/ctld" "$RUN/spool" "$(dirname "$ENV_FILE")"
NODE="$(hostname -s)"
read -r CTLD_PORT SLURMD_PORT < <(python3 - <<'EOF'
import socket
held = []
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s)
print(*(s.getsockname()[1] for s in held))
EOF
)

# Our own munged on a private socket (the key is the one the munge package made).
MUNGE_SOCKET="$RUN/munge.socket"
setsid munged --foreground --force --socket="$MUNGE_SOCKET" --pid-file="$RUN/munged.pid" \
    --log-file="$RUN/munged.log" --seed-file="$RUN/munged.seed" \
    >"$RUN/munged.out" 2>&1 </dev/null &
MUNGED_PID=$!

cat >"$RUN/slurm.conf" <<EOF
# Written by .ci/slurm-up.sh for sovtui's tests; see DESIGN.md (Slurm facts).
ClusterName=sovtui
SlurmctldHost=${NODE}(127.0.0.1)
SlurmctldPort=${CTLD_PORT}
SlurmdPort=${SLURMD_PORT}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=${MUNGE_SOCKET}
StateSaveLocation=${RUN}/ctld
SlurmdSpoolDir=${RUN}/spool
SlurmctldPidFile=${RUN}/slurmctld.pid
SlurmdPidFile=${RUN}/slurmd.pid
SlurmctldLogFile=${RUN}/slurmctld.log
SlurmdLogFile=${RUN}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=${RUN}/jobcomp.txt
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=300
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=${REAL_MEMORY_MB} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

for _ in $(seq 50); do
    [[ -S "$MUNGE_SOCKET" ]] && break
    sleep 0.1
done
if ! munge --socket="$MUNGE_SOCKET" -n </dev/null | unmunge --socket="$MUNGE_SOCKET" >/dev/null; then
    echo "slurm-up: munged does not answer; log:" >&2
    tail -20 "$RUN/munged.log" "$RUN/munged.out" >&2 || true
    kill "$MUNGED_PID" 2>/dev/null || true
    exit 1
fi

export SLURM_CONF="$RUN/slurm.conf"
setsid slurmctld -D -c -f "$SLURM_CONF" >"$RUN/slurmctld.out" 2>&1 </dev/null &
SLURMCTLD_PID=$!
setsid slurmd -D -f "$SLURM_CONF" -N "$NODE" >"$RUN/slurmd.out" 2>&1 </dev/null &
SLURMD_PID=$!

cat >"$ENV_FILE" <<EOF
SLURM_CONF=$SLURM_CONF
SOVTUI_SLURM_RUN=$RUN
MUNGED_PID=$MUNGED_PID
SLURMCTLD_PID=$SLURMCTLD_PID
SLURMD_PID=$SLURMD_PID
EOF

for _ in $(seq "$WAIT_S"); do
    if timeout 20 srun -n1 -t 1 true 2>/dev/null; then
        echo "slurm-up: ready (SLURM_CONF=$SLURM_CONF; pids ctld $SLURMCTLD_PID, d $SLURMD_PID, munged $MUNGED_PID)"
        exit 0
    fi
    for pid in "$SLURMCTLD_PID" "$SLURMD_PID"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "slurm-up: a Slurm daemon exited; last log lines:" >&2
            tail -20 "$RUN"/slurmctld.log "$RUN"/slurmd.log "$RUN"/*.out >&2 2>/dev/null || true
            bash .ci/slurm-down.sh
            exit 1
        fi
    done
    sleep 1
done
echo "slurm-up: srun did not work within ${WAIT_S}s; see $RUN" >&2
exit 1
