"""Every demo workload runs to success on a real Ray, and says the right thing."""

from __future__ import annotations

import re

import pytest

from sovtui.bench.metrics import parse_text

pytestmark = [pytest.mark.ray, pytest.mark.usefixtures("ray_session")]


def _result(out: str, workload: str) -> dict:
    records, parser = parse_text(out)
    assert parser.malformed == 0
    [result] = [r for r in records if r.workload == workload and r.phase == "result"]
    return result.measures


def test_hello_tasks(capsys: pytest.CaptureFixture[str]) -> None:
    from sovtui.workloads import hello_tasks

    assert hello_tasks.main(["--tasks", "6"]) == 0
    out = capsys.readouterr().out
    assert "squares: [0, 1, 4, 9, 16, 25]" in out
    assert "hello_tasks: OK" in out
    assert _result(out, "hello_tasks")["tasks"] == 6


def test_counter_actor(capsys: pytest.CaptureFixture[str]) -> None:
    from sovtui.workloads import counter_actor

    assert counter_actor.main(["--calls", "250"]) == 0
    out = capsys.readouterr().out
    assert "final count 250" in out
    assert _result(out, "counter_actor")["count"] == 250


def test_shared_data(capsys: pytest.CaptureFixture[str]) -> None:
    from sovtui.workloads import shared_data

    assert shared_data.main(["--size", "100000", "--chunks", "7"]) == 0
    out = capsys.readouterr().out
    assert "sum 4999950000 (expected 4999950000)" in out
    assert _result(out, "shared_data")["ok"] is True


def test_parallel_speedup(capsys: pytest.CaptureFixture[str]) -> None:
    from sovtui.workloads import parallel_speedup

    assert parallel_speedup.main(["--tasks", "2", "--seconds", "0.5"]) == 0
    out = capsys.readouterr().out
    serial = float(re.search(r"serial:\s+([\d.]+) s", out).group(1))  # type: ignore[union-attr]
    parallel = float(re.search(r"parallel:\s+([\d.]+) s", out).group(1))  # type: ignore[union-attr]
    assert serial >= 1.0  # two half-second tasks one after the other
    assert parallel < serial  # two CPUs: they overlap
    result = _result(out, "parallel_speedup")
    assert 0 < result["saved_fraction"] < 1


def test_bad_arguments_exit_nonzero() -> None:
    from sovtui.workloads import hello_tasks

    with pytest.raises(SystemExit) as excinfo:
        hello_tasks.main(["--tasks", "0"])
    assert excinfo.value.code == 2
