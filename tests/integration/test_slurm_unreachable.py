"""Without slurmctld, `sovtui slurm ...` answers within its deadline with one clear line."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from tests.support.slurm_env import (
    Slurm,
    slurm,  # noqa: F401  (fixture)
    slurm_instance,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.slurm


def _conf_without_controller(slurm: Slurm, folder: Path) -> str:  # noqa: F811
    """The private Slurm's config, its controller moved to a port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing will listen there
    text = Path(slurm.conf).read_text()
    text = re.sub(r"^SlurmctldPort=\d+$", f"SlurmctldPort={port}", text, flags=re.MULTILINE)
    conf = folder / "slurm.conf"
    conf.write_text(text)
    return str(conf)


@pytest.mark.parametrize("deadline", [None, "3"])
def test_ls_answers_without_the_controller(
    slurm: Slurm,  # noqa: F811
    tmp_path: Path,
    deadline: str | None,
) -> None:
    broken = Slurm(_conf_without_controller(slurm, tmp_path))  # the shared instance stays as is
    env = {"SOVTUI_SLURM_TIMEOUT": deadline} if deadline else {}
    limit = float(deadline or 15)
    started = time.monotonic()
    result = broken.sovtui("slurm", "ls", timeout=60, env=env)
    took = time.monotonic() - started
    assert result.returncode == 1
    assert took < limit + 5, took  # the deadline, plus Python's start-up
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert re.search(r"Slurm controller not reachable|did not answer within", lines[0]), lines
    assert "SLURM_CONF=" in lines[0]


def test_up_without_the_controller_submits_nothing(slurm: Slurm, tmp_path: Path) -> None:  # noqa: F811
    broken = Slurm(_conf_without_controller(slurm, tmp_path))
    result = broken.sovtui(
        "slurm", "up", "--time", "1", timeout=60, env={"SOVTUI_SLURM_TIMEOUT": "3"}
    )
    assert result.returncode == 1
    assert "did not answer within 3 s" in result.stderr
