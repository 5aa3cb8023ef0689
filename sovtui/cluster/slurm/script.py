"""The batch script `sovtui slurm up` submits, kept in the cluster's state dir to read and reuse.

Ray's `slurm-basic.sh` pattern: the head on the first node and one worker on each other node,
each `srun -N1 -n1 -w NODE ... ray start --block` (through node.py, which picks free ports and
sizes Ray from the allocation). On top of it: token auth from a 0600 file, Ray's graceful drain
off (scancel then ends every Ray process in seconds, not 30 s and a SIGKILL), USR1 ahead of the
walltime, noted for sovtui, and the job's exit status is the head's.
Every value that reaches the script is checked here first: it is shell text.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_TIME = re.compile(r"^(\d+-)?\d+(:\d{1,2}){0,2}$")  # minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S
_MEMORY = re.compile(r"^\d+[KMGT]?$", re.IGNORECASE)
_SLURM_WORD = re.compile(r"^[A-Za-z0-9_.,+-]+$")  # partition and account names
JOB_NAME_PREFIX = "sovtui-"
DEFAULT_WARN_BEFORE_S = 300
HEAD_PUBLISH_TIMEOUT_S = 180


class RequestError(ValueError):
    """A `slurm up` option is unusable; the message names it."""


def name_problem(name: str) -> str | None:
    if not NAME_PATTERN.match(name):
        return (
            f"invalid cluster name {name!r}: use up to 40 lowercase letters, digits, '-' and "
            "'_', starting with a letter or digit"
        )
    return None


def time_problem(value: str) -> str | None:
    if not _TIME.match(value):
        return f"invalid time limit {value!r}: use minutes, H:MM:SS or D-HH:MM:SS"
    return None


def memory_problem(value: str) -> str | None:
    if not _MEMORY.match(value):
        return f"invalid memory {value!r}: a number with an optional K, M, G or T suffix"
    return None


def word_problem(what: str, value: str) -> str | None:
    if not _SLURM_WORD.match(value):
        return f"invalid {what} {value!r}"
    return None


@dataclass(frozen=True)
class SlurmRequest:
    name: str
    python: str
    nodes: int = 1
    time: str = "2:00:00"
    partition: str | None = None
    cpus_per_node: int | None = None
    gpus_per_node: int | None = None
    mem: str | None = None
    account: str | None = None
    warn_before_s: int = DEFAULT_WARN_BEFORE_S
    pythonpath: str | None = None  # sovtui's own, kept so a resubmitted script finds the same

    def problems(self) -> list[str]:
        found = [name_problem(self.name), time_problem(self.time)]
        if self.nodes < 1:
            found.append("--nodes must be 1 or more")
        if self.cpus_per_node is not None and self.cpus_per_node < 1:
            found.append("--cpus-per-node must be 1 or more")
        if self.gpus_per_node is not None and self.gpus_per_node < 0:
            found.append("--gpus-per-node must be 0 or more")
        if self.mem is not None:
            found.append(memory_problem(self.mem))
        if self.partition is not None:
            found.append(word_problem("partition", self.partition))
        if self.account is not None:
            found.append(word_problem("account", self.account))
        if self.warn_before_s < 0:
            found.append("the warning offset must be 0 or more seconds")
        return [problem for problem in found if problem]

    @property
    def job_name(self) -> str:
        return JOB_NAME_PREFIX + self.name


def sbatch_directives(request: SlurmRequest, state_dir: Path) -> list[str]:
    lines = [
        f"--job-name={request.job_name}",
        f"--nodes={request.nodes}",
        "--ntasks-per-node=1",
        f"--time={request.time}",
        f"--output={state_dir}/slurm-%j.out",
        f"--signal=B:USR1@{request.warn_before_s}",
    ]
    if request.cpus_per_node is not None:
        lines.append(f"--cpus-per-task={request.cpus_per_node}")
    if request.gpus_per_node:
        lines.append(f"--gpus-per-task={request.gpus_per_node}")
    if request.mem is not None:
        lines.append(f"--mem={request.mem}")
    if request.partition is not None:
        lines.append(f"--partition={request.partition}")
    if request.account is not None:
        lines.append(f"--account={request.account}")
    return lines


def render(request: SlurmRequest, state_dir: Path) -> str:
    """The whole batch script. Raises RequestError for an unusable request."""
    problems = request.problems()
    if problems:
        raise RequestError("; ".join(problems))
    if any(char in str(state_dir) for char in "%'\"\\") or any(c.isspace() for c in str(state_dir)):
        # #SBATCH lines are not shell: keep the path plain (XDG_STATE_HOME moves it).
        raise RequestError(f"the state dir {state_dir} cannot be used in a batch script")
    directives = "\n".join(f"#SBATCH {line}" for line in sbatch_directives(request, state_dir))
    return _TEMPLATE.format(
        directives=directives,
        name=request.name,
        state_dir=shlex.quote(str(state_dir)),
        python=shlex.quote(request.python),
        publish_timeout=HEAD_PUBLISH_TIMEOUT_S,
        pythonpath=f"export PYTHONPATH={shlex.quote(request.pythonpath)}\n"
        if request.pythonpath
        else "",
    )


_TEMPLATE = """#!/bin/bash
# A Ray cluster in this allocation, written by `sovtui slurm up` (cluster {name}).
# Head on the first node, one worker on each other node. Submit it again with: sbatch THIS_FILE
{directives}
set -u
STATE_DIR={state_dir}
PYTHON={python}
{pythonpath}
# Token auth always on, from a 0600 file: never on a command line, never inherited as a value.
export RAY_AUTH_MODE=token
export RAY_AUTH_TOKEN_PATH="$STATE_DIR/token"
unset RAY_AUTH_TOKEN RAY_ADDRESS
# Without this, scancel waits 30 s for Ray's drain and ends in SIGKILL.
export RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S=0
export RAY_USAGE_STATS_ENABLED=0

note() {{ echo "$SLURM_JOB_ID $(date +%s) $*" >>"$STATE_DIR/events"; }}
# --signal=B:USR1: Slurm's walltime warning reaches this shell; sovtui shows it.
trap 'note usr1; echo "sovtui: USR1 from Slurm: the time limit is near"' USR1

mapfile -t nodes < <(scontrol show hostnames "$SLURM_JOB_NODELIST")
step=(srun --nodes=1 --ntasks=1)
if [[ -n "${{SLURM_CPUS_PER_TASK:-}}" ]]; then
    step+=(--cpus-per-task="$SLURM_CPUS_PER_TASK")  # 22.05: steps no longer inherit it
fi

"${{step[@]}}" -w "${{nodes[0]}}" "$PYTHON" "$STATE_DIR/node.py" head "$STATE_DIR" &
head_pid=$!
if "$PYTHON" "$STATE_DIR/node.py" wait-head "$STATE_DIR" {publish_timeout} "$head_pid"; then
    for node in "${{nodes[@]:1}}"; do
        "${{step[@]}}" -w "$node" "$PYTHON" "$STATE_DIR/node.py" worker "$STATE_DIR" &
    done
else
    kill "$head_pid" 2>/dev/null
fi

# `wait` returns early when USR1 arrives: wait again until the head's step has ended.
while :; do
    wait "$head_pid"
    kill -0 "$head_pid" 2>/dev/null || break
done
wait "$head_pid"
status=$?
note head-exit "$status"
echo "sovtui: the Ray head exited with status $status"
exit "$status"
"""
