"""The Clusters screen's pure parts: time left coloured as it runs out, the `slurm up` form's
validation, and the warnings handed to notifications."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovtui.cluster.slurm import records
from sovtui.cluster.slurm.records import ClusterRecord
from sovtui.tui.screens.clusters import (
    LEFT_STYLES,
    left_level,
    read_slurm,
    time_left_text,
)
from sovtui.tui.screens.slurm_modals import check_up_form, read_tail
from tests.support.clocks import FROZEN_NOW
from tests.support.clusters_data import job


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slurm records other tests of the run left in the shared state dir are not these tests'."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.mark.parametrize(
    ("seconds", "level"),
    [
        (None, "normal"),
        (3 * 3600, "normal"),
        (30 * 60, "normal"),
        (30 * 60 - 1, "warning"),
        (5 * 60, "warning"),
        (5 * 60 - 1, "error"),
        (0, "error"),
    ],
)
def test_time_left_levels(seconds: float | None, level: str) -> None:
    assert left_level(seconds) == level
    text = time_left_text(seconds)
    assert text.style == LEFT_STYLES[level]


def test_time_left_text() -> None:
    assert time_left_text(None).plain == "-"
    assert time_left_text(4 * 60 + 5).plain == "4:05"
    assert time_left_text(2 * 3600).plain == "2:00:00"


def values(**changed: str) -> dict[str, str]:
    base = {"name": "", "nodes": "1", "time": "2:00:00", "partition": "", "cpus": "", "gpus": ""}
    return {**base, **changed}


def test_form_defaults_make_a_request() -> None:
    request, errors = check_up_form(values(), python="/usr/bin/python3")
    assert errors == {} and request is not None
    assert (request.name, request.nodes, request.time) == ("ray", 1, "2:00:00")
    assert request.partition is None and request.cpus_per_node is None
    assert request.gpus_per_node is None


def test_form_fields_are_passed_on() -> None:
    request, errors = check_up_form(
        values(name="big", nodes="4", time="0:30:00", partition="gpu", cpus="8", gpus="2")
    )
    assert errors == {} and request is not None
    assert (request.nodes, request.partition, request.cpus_per_node, request.gpus_per_node) == (
        4,
        "gpu",
        8,
        2,
    )


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        ({"nodes": "0"}, "nodes"),
        ({"nodes": ""}, "nodes"),
        ({"nodes": "two"}, "nodes"),
        ({"cpus": "0"}, "cpus"),
        ({"gpus": "-1"}, "gpus"),
        ({"time": "soon"}, "time"),
        ({"time": ""}, "time"),
        ({"name": "Big Cluster"}, "name"),
        ({"partition": "gpu;rm -rf"}, "partition"),
        ({"name": "taken"}, "name"),
    ],
)
def test_form_errors_name_their_field(changed: dict[str, str], field: str) -> None:
    request, errors = check_up_form(values(**changed), taken={"taken"})
    assert request is None
    assert field in errors, errors


def test_warnings_for_notifications() -> None:
    record = ClusterRecord("soon", "77", FROZEN_NOW - 600, "/nowhere/token", last_state="RUNNING")
    records.save(record)
    try:
        near_end = job("77", "sovtui-soon", left_s=120)
        view = read_slurm([near_end], FROZEN_NOW)
        assert [c.name for c in view.clusters] == ["soon"]
        assert len(view.warnings) == 1
        key, line = view.warnings[0]
        assert key == "77:time" and line.startswith("soon: time limit in 2:00")
        ended = read_slurm([job("77", "sovtui-soon", state="TIMEOUT", left_s=None)], FROZEN_NOW)
        assert [key for key, _ in ended.warnings] == ["77:TIMEOUT"]
    finally:
        import shutil

        shutil.rmtree(records.cluster_dir("soon"))


def test_read_tail_keeps_the_end(tmp_path: Path) -> None:
    path = tmp_path / "slurm-1.out"
    path.write_text("".join(f"line {n}\n" for n in range(1000)) + "\x1b[31mred\n")
    lines = read_tail(path, limit=100)
    assert lines[0].startswith("… (the first")
    assert lines[-2] == "line 999" and "\x1b" not in lines[-1]
