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
    "keys",
    "keys_auto",
    "object_store_bytes",
)
# The machine (sort): runs on different machines are not compared blindly.
MACHINE_KEYS = (
    "cpu_model",
    "cpu_cores",
    "machine",
    "numpy_version",
    "numpy_sort_simd",
    "numpy_sort_default",
    "numpy_sort_rate_default",
    "numpy_sort_rate_no_avx512",
    "numpy_choice",
    "numpy_disabled_features",
)
RESULT_KEYS = (
    "workers",
    "store_peak_bytes",
    "store_peak_ratio",
    "accuracy",
    "loss",
    "phases",
    "overhead_s",
    "overhead_share",
    "too_small",
    "copy_s",
    "sort_s",
    "sovtui_speedup",  # sort: numpy.sort's row, its time over sovtui's
    "limit_speedup",  # and over the limit's: the most any sort there could gain
    "cores_used",  # sort: CPU time / wall time of the limit's workers, of numpy.sort's process
    "cpu_s",  # sort: the tasks' CPU time (sovtui, limit)
)


def build_run(workload: str, params: dict[str, Any], records: Sequence[MetricRecord]) -> BenchRun:
    results: list[dict[str, Any]] = []
    metadata: dict[str, Any] = {}
    for record in records:
        if record.phase == "start":
            known = (*METADATA_KEYS, *MACHINE_KEYS)
            metadata.update({k: record.measures[k] for k in known if k in record.measures})
        elif record.phase == "result" and isinstance(record.measures.get("method"), str):
            row: dict[str, Any] = {
                "method": record.measures["method"],
                "seconds": record.number("seconds"),
            }
            for key in RATE_KEYS:
                if record.number(key) is not None:
                    row[key] = record.number(key)
            for key in RESULT_KEYS:
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
    rates: dict[int, dict[str, Any]] = {}
    for record in points:
        workers = int(record.number("workers") or 0)
        seconds = record.number("seconds")
        if workers >= 1 and seconds is not None and seconds > 0:
            measured[workers] = seconds
            rates[workers] = {k: v for k in RATE_KEYS if (v := record.number(k)) is not None}
            if phases := _phase_seconds(record.measures.get("phases")):
                rates[workers]["phases"] = phases
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


def _phase_seconds(value: Any) -> dict[str, float]:
    """A scaling point's {"compute_s": 1.2, ...} (training): numbers only, names as sent."""
    if not isinstance(value, dict):
        return {}
    return {
        str(name): float(seconds)
        for name, seconds in value.items()
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
    }


# Per-phase columns of a training scaling study: (label, key in the point's phases).
PHASE_COLUMNS = (
    ("epoch", "epoch_s"),
    ("compute", "compute_s"),
    ("cpu", "compute_cpu_s"),
    ("wait", "wait_s"),
    ("allreduce", "allreduce_s"),
    ("optim", "optimizer_s"),
    ("data", "data_s"),
    ("other", "other_s"),
    ("cores", "cores"),
)


def phase_lines(scaling: Sequence[dict[str, Any]]) -> list[str]:
    """Seconds per epoch in each phase, one line per worker count (training runs only)."""
    rows = [point for point in scaling if isinstance(point.get("phases"), dict)]
    if not rows:
        return []
    header = "  ".join(f"{label:>9}" for label, _ in PHASE_COLUMNS)
    lines = [f"  workers  {header}   (s per epoch, mean over ranks; cores: CPU the ranks got)"]
    for point in rows:
        cells = []
        for _, key in PHASE_COLUMNS:
            value = point["phases"].get(key)
            cells.append(f"{value:9.3f}" if isinstance(value, float) else f"{'-':>9}")
        lines.append(f"  {point['workers']:7d}  " + "  ".join(cells))
    return lines


def _seconds(record: MetricRecord) -> float:
    value = record.number("seconds")
    return value if value is not None else float("inf")


def machine_text(metadata: dict[str, Any]) -> str:
    """`AMD EPYC, 2 cores, numpy 2.4.6 (AVX2 (X86_V3))`, or "" when the run did not say."""
    parts = []
    if metadata.get("cpu_model"):
        parts.append(str(metadata["cpu_model"]))
    if metadata.get("cpu_cores"):
        parts.append(f"{metadata['cpu_cores']} cores")
    if metadata.get("numpy_version"):
        simd = metadata.get("numpy_sort_simd")
        parts.append(f"numpy {metadata['numpy_version']}" + (f" ({simd})" if simd else ""))
    # it comes from the cluster: keep it to one printable line
    return "".join(ch for ch in ", ".join(parts) if ch.isprintable())


def summary_text(run: BenchRun) -> str:
    """`sovtui 0.31 s, limit 0.11 s (sovtui 2.82x it), numpy.sort 0.47 s, Ray Data 4.1 s`."""
    names = {"limit": "limit", "numpy": "numpy.sort", "ray_data": "Ray Data"}
    rows = {row.get("method"): row for row in run.results if row.get("seconds") is not None}
    base = rows.get("sovtui")
    if base is None:
        return ""
    text = [f"sovtui {base['seconds']:.3f} s"]
    for method, name in names.items():
        row = rows.get(method)
        if row is None:
            continue
        item = f"{name} {row['seconds']:.3f} s"
        if method == "limit" and row["seconds"] > 0:
            item += f" (sovtui {base['seconds'] / row['seconds']:.2f}x it)"
        text.append(item)
    return ", ".join(text)


def too_small_text(run: BenchRun) -> str:
    base = next((r for r in run.results if r.get("method") == "sovtui"), None)
    if not base or not base.get("too_small"):
        return ""
    share = base.get("overhead_share")
    share_text = f"{share:.0%}" if isinstance(share, (int, float)) else "most"
    return (
        f"too small to say much: fixed overhead is {share_text} of the sovtui run; "
        "use more keys (the default is sized from the object store)"
    )


def format_table(run: BenchRun) -> list[str]:
    """Plain-text summary lines for the headless CLI."""
    lines = [f"{run.workload} benchmark  {run.created}"]
    shown = {k: v for k, v in run.metadata.items() if k not in MACHINE_KEYS}
    lines.append(f"  {shown}")
    if machine := machine_text(run.metadata):
        lines.append(f"  machine: {machine}")
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
    if summary := summary_text(run):
        lines.append(f"  {summary}")
    if warning := too_small_text(run):
        lines.append(f"  {warning}")
    if run.scaling:
        lines.append("  workers   T_p (s)  speedup  efficiency  ideal T1/p  Brent W/p+D")
        for point in run.scaling:
            brent = point.get("brent_s")
            brent_text = f"{brent:11.3f}" if brent is not None else "          -"
            lines.append(
                f"  {point['workers']:7d} {point['seconds']:9.3f} {point['speedup']:8.2f} "
                f"{point['efficiency']:11.2f} {point['ideal_s']:11.3f} {brent_text}"
            )
        lines.extend(phase_lines(run.scaling))
    return lines
