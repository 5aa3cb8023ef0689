"""The private Slurm that .ci/slurm-up.sh starts, and helpers for tests that use it.

The tests never touch a site's Slurm: they use only the instance recorded in
$SOVTUI_SLURM_ENV (read at import, before the session fixture clears SOVTUI_* variables) or
.ci/state/slurm.env. Every job a test submits is cancelled by its id at teardown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.head_processes import alive
from tests.support.must_run import need_real

ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = Path(os.environ.get("SOVTUI_SLURM_ENV") or ROOT / ".ci" / "state" / "slurm.env")


def read_env_file() -> dict[str, str]:
    try:
        lines = ENV_FILE.read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line)


def job_processes(job_id: str) -> set[int]:
    """Live processes of a Slurm job, found by SLURM_JOB_ID in their environment (Ray renames
    its processes, and linuxproc can lose track of a crashed one)."""
    marker = f"SLURM_JOB_ID={job_id}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            variables = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in variables and alive(int(entry.name)):
            found.add(int(entry.name))
    return found


def process_named(job_id: str, comm: str) -> int | None:
    for pid in job_processes(job_id):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == comm:
                return pid
        except OSError:
            continue
    return None


def gone(job_id: str) -> Callable[[], bool]:
    """A condition: no process of the job runs."""
    return lambda: not job_processes(job_id)


def wait_until(condition: Callable[[], Any], timeout: float, interval: float = 0.5) -> Any:
    """The condition's first truthy value, or the last falsy one after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@dataclass
class Slurm:
    conf: str
    jobs: list[str] = field(default_factory=list)  # submitted by the tests: cancelled at the end

    def sovtui(
        self, *args: str, timeout: float = 240, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, "SLURM_CONF": self.conf, **(env or {})}
        result = subprocess.run(
            [sys.executable, "-m", "sovtui", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environ,
        )
        self._remember(result.stdout)
        return result

    def _remember(self, stdout: str) -> None:
        try:
            document = json.loads(stdout)
        except ValueError:
            return
        if isinstance(document, dict) and document.get("job_id"):
            self.jobs.append(str(document["job_id"]))

    def up(self, *args: str) -> dict[str, Any]:
        result = self.sovtui("slurm", "up", "--json", "--cpus-per-node", "1", *args)
        assert result.returncode == 0, result.stderr
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def ls(self) -> dict[str, Any]:
        result = self.sovtui("slurm", "ls", "--json", timeout=60)
        assert result.returncode == 0, result.stderr
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def cluster(self, name: str) -> dict[str, Any]:
        return next(item for item in self.ls()["clusters"] if item["name"] == name)

    def cancel_all(self) -> None:
        for job_id in self.jobs:  # only the jobs these tests submitted, by id
            subprocess.run(
                ["scancel", job_id], env={**os.environ, "SLURM_CONF": self.conf}, timeout=30
            )
        for job_id in self.jobs:
            wait_until(gone(job_id), timeout=30)


@pytest.fixture(scope="session")
def slurm_instance() -> Slurm:
    values = read_env_file()
    conf = values.get("SLURM_CONF", "")
    pids = [int(values.get(key) or 0) for key in ("SLURMCTLD_PID", "SLURMD_PID")]
    if not conf or not Path(conf).is_file() or not all(pid and alive(pid) for pid in pids):
        need_real(f"no private Slurm running ({ENV_FILE}): run .ci/slurm-up.sh")
    return Slurm(conf)


@pytest.fixture
def slurm(slurm_instance: Slurm) -> Iterator[Slurm]:
    slurm_instance.jobs = []
    try:
        yield slurm_instance
    finally:
        slurm_instance.cancel_all()


def token_env(cluster: dict[str, Any]) -> dict[str, str]:
    return {"RAY_AUTH_TOKEN_PATH": cluster["token_path"]}
