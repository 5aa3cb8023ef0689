"""The Clusters screen's Slurm table against the private one-node Slurm (.ci/slurm-up.sh): a
submitted job is listed, and `d` (confirmed) cancels it until it has left the queue."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from textual.widgets import DataTable

from sovtui.cluster.slurm import queue, records
from sovtui.cluster.slurm.records import ClusterRecord
from sovtui.tui.screens.clusters import ClustersScreen
from sovtui.tui.screens.confirm import ConfirmScreen
from tests.support.app_factory import AppFactory
from tests.support.clusters_data import fixed_health, saved_only, two_labs
from tests.support.slurm_env import (
    Slurm,
    slurm,  # noqa: F401  (fixture)
    slurm_instance,  # noqa: F401  (fixture)
)
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.slurm]


def sleeper(slurm: Slurm, name: str) -> str:  # noqa: F811
    """A plain batch job (no Ray) recorded as sovtui's cluster `name`: `d` may take it down."""
    folder = records.private_dir(name)
    submitted = subprocess.run(
        [
            "sbatch",
            "--parsable",
            f"--job-name=sovtui-{name}",
            "--time=0:05:00",
            "--cpus-per-task=1",
            f"--output={folder}/slurm-%j.out",
            "--wrap",
            "echo started; sleep 300",
        ],
        env={**os.environ, "SLURM_CONF": slurm.conf},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip().split(";")[0]
    slurm.jobs.append(job_id)  # cancelled at teardown whatever happens here
    records.save(ClusterRecord(name, job_id, time.time(), str(folder / "token")))
    return job_id


async def test_lists_a_job_and_d_cancels_it(
    slurm: Slurm,  # noqa: F811
    app_factory: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLURM_CONF", slurm.conf)
    job_id = sleeper(slurm, "tuidown")
    app = app_factory(settings=two_labs(), contexts=saved_only, probe=fixed_health)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        shown = app.screen
        assert isinstance(shown, ClustersScreen)
        table = shown.query_one("#slurm-jobs", DataTable)
        await wait_for(
            pilot,
            lambda: job_id in [str(key.value) for key in table.rows],
            timeout=60,
            what=f"job {job_id} in the Slurm table",
        )
        row = [str(key.value) for key in table.rows].index(job_id)
        table.focus()
        table.move_cursor(row=row)
        await pilot.pause()
        cluster = shown.selected_cluster()
        assert cluster is not None and cluster.name == "tuidown"
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: any("is down" in n.message for n in app._notifications),
            timeout=90,
            what="the cancel to finish",
        )
    left = queue.find(await queue.list_jobs(), job_id)
    assert left is None or not left.active, left
