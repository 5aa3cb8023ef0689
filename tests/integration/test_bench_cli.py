"""`sovtui bench` end to end: the CLI (no ray in this process) runs the workload subprocess,
which starts its own private Ray head, and reads its metrics lines back."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from sovtui.commands import bench

pytestmark = pytest.mark.ray


@pytest.fixture(autouse=True)
def _tmp_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="sovtui")
    bench.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.handler(args)
    return code, capsys.readouterr().out


def _methods(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["method"]: row for row in document["results"]}


def test_bench_sort_json_with_baselines_and_scaling(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _cli(
        ["bench", "sort", "--keys", "40000", "--baselines", "--workers", "1,2,8",
         "--local-cpus", "2", "--json"],
        capsys,
    )
    assert code == 0
    document = json.loads(out)  # stdout is only the JSON document in --json mode
    assert document["workload"] == "sort" and document["params"]["keys"] == 40000
    methods = _methods(document)
    assert set(methods) == {"sovtui", "numpy", "ray_data"}
    assert all(row["seconds"] > 0 and row["keys_per_s"] > 0 for row in methods.values())
    assert document["metadata"]["verified"] is True
    assert document["metadata"]["cpus"] == 2
    points = document["scaling"]
    assert [p["workers"] for p in points] == [1, 2]  # 8 capped at the cluster's 2 CPUs
    assert all({"speedup", "efficiency", "ideal_s", "brent_s"} <= set(p) for p in points)
    assert Path(document["saved"]).is_file()

    code, out = _cli(["bench", "history", "--json"], capsys)
    assert code == 0 and json.loads(out)[0]["run_id"] == document["run_id"]


def test_bench_train_small(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    code, out = _cli(
        ["bench", "train", "--epochs", "1", "--repeat-data", "1", "--batch-size", "128",
         "--workers", "1", "--baselines", "--local-cpus", "2", "--no-save"],
        capsys,
    )
    assert code == 0
    assert "torch_single" in out and "samples/s" in out


def test_dashboard_url_is_refused_with_a_clear_message() -> None:
    from sovtui.commands.common import UserError

    args = argparse.Namespace(address="http://127.0.0.1:8265")
    with pytest.raises(UserError, match="GCS address"):
        bench._ray_address(args)
