"""A cluster that outlives its --time: warned first (5 minutes ahead, then USR1), then TIMEOUT.

Costs ~1.5 min: Slurm ends a job 13-21 s after its limit, and the limit is a whole minute.
"""

from __future__ import annotations

import time

import pytest

from tests.support.slurm_env import (
    Slurm,
    job_processes,
    slurm,  # noqa: F401  (fixture)
    slurm_instance,  # noqa: F401  (fixture)
    wait_until,
)

pytestmark = [pytest.mark.slurm, pytest.mark.ray]


def test_walltime_warning_then_timeout(slurm: Slurm) -> None:  # noqa: F811
    cluster = slurm.up("--time", "1", "--signal-before", "45", "--name", "short")
    # A one-minute job is inside the 5-minute warning from its start.
    assert any("time limit in" in warning for warning in cluster["warnings"])
    seen: list[str] = []
    deadline = time.monotonic() + 150
    state = cluster["state"]
    while state != "TIMEOUT" and time.monotonic() < deadline:
        current = slurm.cluster("short")
        state = current["state"]
        if state == "RUNNING":
            seen += current["warnings"]
        time.sleep(2)
    assert state == "TIMEOUT"
    assert any("USR1" in warning for warning in seen), seen  # the job's own signal, while running
    final = slurm.cluster("short")
    assert "TIMEOUT" in final["outcome"]
    assert final["signalled_at"] is not None and final["signalled_at"] < time.time()
    human = slurm.sovtui("slurm", "ls", timeout=60)
    assert "TIMEOUT" in human.stdout
    assert wait_until(lambda: not job_processes(cluster["job_id"]), timeout=30)
