"""Benchmark `sovtui slurm up` and `slurm down` on the private Slurm of .ci/slurm-up.sh.

Run: PYTHONPATH=. python tests/bench/bench_slurm.py [--repeat 3]
Prints, per run and as medians:
  sbatch -> attached: from sbatch's return (the record's submit time) to `up` returning with
                      the head verified (its session) and its node ALIVE;
  up total:           the whole `sovtui slurm up` command, Python start-up included;
  down -> no Ray:     from starting `sovtui slurm down` until no process with the job's
                      SLURM_JOB_ID runs (walked in /proc: Ray renames its processes).
One 1-CPU cluster at a time; each is taken down before the next.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.slurm_env import job_processes, read_env_file, wait_until


def _sovtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovtui", *args], capture_output=True, text=True, timeout=300
    )


def one_run(number: int) -> tuple[float, float, float]:
    name = f"bench{number}"
    started = time.monotonic()
    up = _sovtui(
        "slurm", "up", "--json", "--time", "0:10:00", "--cpus-per-node", "1", "--name", name
    )
    up_total = time.monotonic() - started
    if up.returncode != 0:
        raise SystemExit(f"slurm up failed: {up.stderr.strip()}")
    attached_at = time.time()
    cluster = json.loads(up.stdout)
    record = json.loads((Path(cluster["state_dir"]) / "cluster.json").read_text())
    sbatch_to_attached = attached_at - record["submitted_at"]
    started = time.monotonic()
    down = _sovtui("slurm", "down", name)
    if down.returncode != 0:
        raise SystemExit(f"slurm down failed: {down.stderr.strip()}")
    gone = wait_until(lambda: not job_processes(cluster["job_id"]), timeout=60, interval=0.1)
    down_to_none = time.monotonic() - started
    if not gone:
        raise SystemExit(f"processes of job {cluster['job_id']} still run after 60 s")
    return sbatch_to_attached, up_total, down_to_none


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    conf = read_env_file().get("SLURM_CONF")
    if not conf:
        raise SystemExit("no private Slurm: run .ci/slurm-up.sh first")
    os.environ["SLURM_CONF"] = conf
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="sovtui-bench-slurm-")
    rows = []
    for number in range(args.repeat):
        row = one_run(number)
        rows.append(row)
        print(
            f"run {number + 1}: sbatch->attached {row[0]:.1f} s, up total {row[1]:.1f} s, "
            f"down->no Ray process {row[2]:.1f} s",
            flush=True,
        )
    columns = list(zip(*rows, strict=True))
    print(
        f"median of {len(rows)}: sbatch->attached {statistics.median(columns[0]):.1f} s, "
        f"up total {statistics.median(columns[1]):.1f} s, "
        f"down->no Ray process {statistics.median(columns[2]):.1f} s "
        f"(nproc {os.cpu_count()}, load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
