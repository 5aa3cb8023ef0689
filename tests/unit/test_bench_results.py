"""Results store round-trip under a temporary XDG data dir; report building from records."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from sovtui.bench import results
from sovtui.bench.metrics import parse_text
from sovtui.bench.report import build_run, format_table
from sovtui.workloads._metrics import format_metric


@pytest.fixture(autouse=True)
def _tmp_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def test_save_and_history_round_trip(tmp_path: Path) -> None:
    run = results.BenchRun(
        workload="sort",
        params={"keys": 100},
        results=[{"method": "sovtui", "seconds": 0.5, "keys_per_s": 200.0}],
        metadata={"ray_version": "2.60.0", "cpus": 2, "nodes": 1},
        scaling=[
            {
                "workers": 1,
                "seconds": 1.0,
                "speedup": 1.0,
                "efficiency": 1.0,
                "ideal_s": 1.0,
                "brent_s": 1.2,
            }
        ],
    )
    path = results.save(run)
    assert path.parent == tmp_path / "data" / "sovtui" / "bench"
    assert json.loads(path.read_text())["metadata"]["ray_version"] == "2.60.0"
    rows = list(csv.DictReader(path.with_suffix(".csv").open()))
    assert rows[0]["method"] == "sovtui" and float(rows[0]["keys_per_s"]) == 200.0
    assert rows[1]["method"] == "sort-scaling" and rows[1]["brent_s"] == "1.2"
    (path.parent / "broken.json").write_text("{")  # an unreadable file must not break history
    [loaded] = results.history()
    assert loaded.to_dict() == run.to_dict()


def test_history_empty_when_no_dir() -> None:
    assert results.history() == []


def test_build_run_from_workload_records() -> None:
    lines = [
        format_metric("sort", "start", ray_version="2.60.0", cpus=2, nodes=1),
        format_metric("sort", "result", method="sovtui", seconds=1.0, keys_per_s=2e7),
        format_metric("sort", "result", method="numpy", seconds=1.5, keys_per_s=1.3e7),
        format_metric("sort", "verify", ok=True),
        format_metric("sort", "scaling", workers=1, seconds=2.0, work_s=1.9, depth_s=1.0),
        format_metric("sort", "scaling", workers=2, seconds=1.2, work_s=2.1, depth_s=0.9),
    ]
    records, _ = parse_text("\n".join(lines))
    run = build_run("sort", {"keys": 20_000_000}, records)
    assert [r["method"] for r in run.results] == ["sovtui", "numpy"]
    assert run.metadata == {"ray_version": "2.60.0", "cpus": 2, "nodes": 1, "verified": True}
    assert [p["workers"] for p in run.scaling] == [1, 2]
    assert run.scaling[1]["brent_s"] == pytest.approx(1.9 / 2 + 1.0)
    assert run.scaling[1]["speedup"] == pytest.approx(2.0 / 1.2)
    assert any("sovtui is 1.54x" in line for line in format_table(run))
