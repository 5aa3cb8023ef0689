"""Turn a workload's metrics records into a benchmark report (results table + scaling study)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sovtui.bench.metrics import MetricRecord
from sovtui.bench.results import BenchRun
from sovtui.bench.scaling import WorkDepth, scaling_points

RATE_KEYS = ("keys_per_s", "samples_per_s")
METADATA_KEYS = (
    "ray_version",
    "nodes",
    "cpus",
    "gpus",
    "data_bytes",
    "partitions",
    "worker_niceness",
    "torch_version",
    "use_gpu",
    "load_average",
)


def build_run(workload: str, params: dict[str, Any], records: Sequence[MetricRecord]) -> BenchRun:
    results: list[dict[str, Any]] = []
    metadata: dict[str, Any] = {}
    for record in records:
        if record.phase == "start":
            metadata.update({k: record.measures[k] for k in METADATA_KEYS if k in record.measures})
        elif record.phase == "result" and isinstance(record.measures.get("method"), str):
            row: dict[str, Any] = {
                "method": record.measures["method"],
                "seconds": record.number("seconds"),
            }
            for key in RATE_KEYS:
                if record.number(key) is not None:
                    row[key] = record.number(key)
            for key in ("workers", "store_peak_bytes", "store_peak_ratio", "accuracy", "loss"):
                if key in record.measures:
                    row[key] = record.measures[key]
            results.append(row)
        elif record.phase == "done" and "load_average_end" in record.measures:
            metadata["load_average_end"] = record.measures["load_average_end"]
        elif record.phase == "verify":
            metadata["verified"] = bool(record.measures.get("ok"))
    return BenchRun(
        workload=workload,
        params=params,
        results=results,
        metadata=metadata,
        scaling=scaling_table(records),
    )


def scaling_table(records: Sequence[MetricRecord]) -> list[dict[str, Any]]:
    """Scaling points from `scaling` records; W and D come from the fewest-workers point."""
    points = [r for r in records if r.phase == "scaling" and r.number("workers") is not None]
    measured: dict[int, float] = {}
    rates: dict[int, dict[str, float]] = {}
    for record in points:
        workers = int(record.number("workers") or 0)
        seconds = record.number("seconds")
        if workers >= 1 and seconds is not None and seconds > 0:
            measured[workers] = seconds
            rates[workers] = {k: v for k in RATE_KEYS if (v := record.number(k)) is not None}
    if not measured:
        return []
    smallest = min(
        (r for r in points if int(r.number("workers") or 0) == min(measured)), key=_seconds
    )
    work, depth = smallest.number("work_s"), smallest.number("depth_s")
    work_depth = WorkDepth(work, depth) if work is not None and depth is not None else None
    table = []
    for point in scaling_points(measured, work_depth):
        row = point.to_dict()
        row.update(rates.get(point.workers, {}))
        if work_depth:
            row["work_s"], row["depth_s"] = work_depth.work_s, work_depth.depth_s
        table.append(row)
    return table


def _seconds(record: MetricRecord) -> float:
    value = record.number("seconds")
    return value if value is not None else float("inf")


def format_table(run: BenchRun) -> list[str]:
    """Plain-text summary lines for the headless CLI."""
    lines = [f"{run.workload} benchmark  {run.created}  {run.metadata}"]
    base = next((r for r in run.results if r.get("method") == "sovtui"), None)
    for row in run.results:
        rate_key = next((k for k in RATE_KEYS if row.get(k) is not None), None)
        rate = f"{row[rate_key] / 1e6:9.3f} M{rate_key.split('_')[0]}/s" if rate_key else ""
        if rate_key == "samples_per_s":
            rate = f"{row[rate_key]:12,.0f} samples/s"
        ratio = ""
        if base and rate_key and row is not base and row.get(rate_key):
            ratio = f"  sovtui is {base.get(rate_key, 0) / row[rate_key]:.2f}x this"
        seconds = row.get("seconds")
        seconds_text = f"{seconds:8.3f} s" if seconds is not None else "       - s"
        lines.append(f"  {row['method']:<13} {seconds_text} {rate}{ratio}")
    if run.scaling:
        lines.append("  workers   T_p (s)  speedup  efficiency  ideal T1/p  Brent W/p+D")
        for point in run.scaling:
            brent = point.get("brent_s")
            brent_text = f"{brent:11.3f}" if brent is not None else "          -"
            lines.append(
                f"  {point['workers']:7d} {point['seconds']:9.3f} {point['speedup']:8.2f} "
                f"{point['efficiency']:11.2f} {point['ideal_s']:11.3f} {brent_text}"
            )
    return lines
