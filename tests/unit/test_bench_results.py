"""Results store round-trip under a temporary XDG data dir; report building from records."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from sovtui.bench import results
from sovtui.bench.metrics import parse_text
from sovtui.bench.report import build_run, format_table
from sovtui.bench.results import BenchRun
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


MACHINE: dict[str, Any] = {
    "cpu_model": "AMD EPYC",
    "cpu_cores": 2,
    "numpy_version": "2.4.6",
    "numpy_sort_simd": "AVX2 (X86_V3)",
    "numpy_sort_default": "AVX-512 (X86_V4)",
    "numpy_choice": "no-avx512",
}


def _limit_run(too_small: bool = False) -> BenchRun:
    lines = [
        format_metric("sort", "start", cpus=2, keys=20_000_000, **MACHINE),
        format_metric(
            "sort",
            "result",
            method="sovtui",
            seconds=0.3,
            keys_per_s=2e7 / 0.3,
            overhead_s=0.02,
            overhead_share=0.9 if too_small else 0.07,
            too_small=too_small,
        ),
        format_metric(
            "sort", "result", method="limit", seconds=0.1, keys_per_s=2e8, copy_s=0.01, sort_s=0.09
        ),
        format_metric("sort", "result", method="numpy", seconds=0.45, keys_per_s=2e7 / 0.45),
    ]
    records, _ = parse_text("\n".join(lines))
    return build_run("sort", {"keys": None}, records)


def test_limit_and_machine_in_the_report_and_the_saved_run(tmp_path: Path) -> None:
    run = _limit_run()
    assert [r["method"] for r in run.results] == ["sovtui", "limit", "numpy"]
    assert run.results[1] == {
        "method": "limit",
        "seconds": 0.1,
        "keys_per_s": 2e8,
        "copy_s": 0.01,
        "sort_s": 0.09,
    }
    assert {k: run.metadata[k] for k in MACHINE} == MACHINE
    assert run.metadata["keys"] == 20_000_000
    lines = format_table(run)
    assert "  machine: AMD EPYC, 2 cores, numpy 2.4.6 (AVX2 (X86_V3))" in lines
    assert "  sovtui 0.300 s, limit 0.100 s (sovtui 3.00x it), numpy.sort 0.450 s" in lines
    assert not any("too small" in line for line in lines)
    loaded = results.load(results.save(run, tmp_path))
    assert loaded.results[1]["method"] == "limit" and loaded.metadata["cpu_cores"] == 2


def test_report_says_when_the_size_is_too_small() -> None:
    lines = format_table(_limit_run(too_small=True))
    assert any(line.startswith("  too small to say much: fixed overhead is 90%") for line in lines)


def test_history_lists_the_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from sovtui.cli import bench

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    results.save(_limit_run())
    assert bench._history(argparse.Namespace(json=False)) == 0
    out = capsys.readouterr().out
    assert "sovtui 0.300s, limit 0.100s, numpy 0.450s" in out
    assert "20,000,000 keys  [AMD EPYC, 2 cores, numpy 2.4.6 (AVX2 (X86_V3))]" in out


def test_machine_text_keeps_cluster_text_to_one_printable_line() -> None:
    from sovtui.bench.report import machine_text

    assert machine_text({"cpu_model": "Evil\x1b[2J\nCPU", "cpu_cores": 4}) == "Evil[2JCPU, 4 cores"
    assert machine_text({}) == ""


def test_training_scaling_shows_seconds_per_phase() -> None:
    phases = {"epoch_s": 1.3, "compute_s": 1.2, "compute_cpu_s": 1.1, "wait_s": 0.05}
    lines = [
        format_metric("train", "scaling", workers=1, seconds=4.8, samples_per_s=12_000.0),
        format_metric(
            "train", "scaling", workers=2, seconds=2.6, samples_per_s=22_000.0, phases=phases
        ),
        format_metric("train", "scaling", workers=4, seconds=2.0, phases={"compute_s": True}),
    ]
    records, _ = parse_text("\n".join(lines))
    run = build_run("train", {}, records)
    assert run.scaling[1]["phases"] == phases
    assert "phases" not in run.scaling[0] and "phases" not in run.scaling[2]  # none, no number
    table = format_table(run)
    header = next(i for i, line in enumerate(table) if "allreduce" in line)
    cells = ["2", "1.300", "1.200", "1.100", "0.050", "-", "-", "-", "-", "-"]
    assert table[header + 1].split() == cells
    assert len(table) == header + 2  # only the point with phases gets a row
