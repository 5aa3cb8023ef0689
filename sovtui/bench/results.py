"""Benchmark results store: one JSON (full record) and one CSV (the results table) per run.

Files live under `data_dir()/bench/` and are named `<UTC time>-<workload>-<id>.json|.csv`.
"""

from __future__ import annotations

import csv
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sovtui.support import locations

CSV_FIELDS = (
    "method",
    "workers",
    "seconds",
    "keys_per_s",
    "samples_per_s",
    "speedup",
    "efficiency",
    "ideal_s",
    "brent_s",
)


def bench_dir() -> Path:
    return locations.data_dir() / "bench"


@dataclass
class BenchRun:
    workload: str
    params: dict[str, Any]
    results: list[dict[str, Any]]
    metadata: dict[str, Any] = field(default_factory=dict)  # ray version, nodes, cpus, ...
    scaling: list[dict[str, Any]] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "created": self.created,
            "workload": self.workload,
            "params": self.params,
            "metadata": self.metadata,
            "results": self.results,
            "scaling": self.scaling,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchRun:
        return cls(
            workload=str(data["workload"]),
            params=dict(data.get("params") or {}),
            results=list(data.get("results") or []),
            metadata=dict(data.get("metadata") or {}),
            scaling=list(data.get("scaling") or []),
            created=str(data.get("created", "")),
            run_id=str(data.get("run_id", "")),
        )


def _stem(run: BenchRun) -> str:
    stamp = run.created.replace(":", "").replace("-", "").replace("+0000", "Z")
    return f"{stamp}-{run.workload}-{run.run_id}"


def save(run: BenchRun, directory: Path | None = None) -> Path:
    """Write `<stem>.json` and `<stem>.csv`; returns the JSON path."""
    directory = directory or bench_dir()
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{_stem(run)}.json"
    json_path.write_text(json.dumps(run.to_dict(), indent=2, sort_keys=True) + "\n")
    rows = [dict(r) for r in run.results] + [
        {"method": f"{run.workload}-scaling", **point} for point in run.scaling
    ]
    with json_path.with_suffix(".csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return json_path


def load(path: Path) -> BenchRun:
    return BenchRun.from_dict(json.loads(path.read_text()))


def history(directory: Path | None = None) -> list[BenchRun]:
    """Past runs, oldest first; unreadable files are skipped (a history must always list)."""
    directory = directory or bench_dir()
    runs = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            runs.append(load(path))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(runs, key=lambda run: run.created)
