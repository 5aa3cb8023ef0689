"""What the Bench screen shows, computed from one job's metrics records (no Textual here).

`bench_view(series)` turns the records a running sort or train job has printed so far into
plot-ready series (throughput over time, loss and accuracy against step, the scaling study with
its ideal and Brent lines, the phase breakdown) and the results table with ratios against the
baseline. `tui_run(...)` builds the same `BenchRun` the headless `sovtui bench` saves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovtui.bench import results as store
from sovtui.bench.metrics import JobSeries, MetricRecord
from sovtui.bench.report import RATE_KEYS, build_run, machine_text, scaling_table
from sovtui.bench.results import BenchRun

Points = list[tuple[float, float]]

SORT_PRESET = "sort-bench"
TRAIN_PRESET = "train-bench"
# preset name -> the workload name its records (and the results store) use
BENCH_PRESETS = {SORT_PRESET: "sort", TRAIN_PRESET: "train"}
BASELINES = {"sort": "numpy", "train": "torch_single"}
RATE_UNITS = {"keys_per_s": "keys/s", "samples_per_s": "samples/s"}
SORT_PHASES = ("sample", "partition", "merge")


@dataclass(frozen=True)
class ResultRow:
    method: str
    seconds: float | None
    rate: float | None
    ratio: float | None  # rate / the baseline's rate (None without a baseline)
    workers: int | None = None
    # the run's fixed overhead (tasks, round trips) is a big share of it: the size says little
    too_small: bool = False
    overhead_share: float | None = None


@dataclass(frozen=True)
class BenchView:
    workload: str | None = None
    rate_key: str | None = None  # keys_per_s or samples_per_s
    throughput: dict[str, Points] = field(default_factory=dict)  # label -> (seconds, rate)
    loss: Points = field(default_factory=list)  # (step, loss)
    accuracy: Points = field(default_factory=list)  # (step, accuracy)
    curve_label: str = ""  # which training run the loss/accuracy curves belong to
    scaling: list[dict[str, Any]] = field(default_factory=list)  # report.scaling_table rows
    phases: list[tuple[str, float]] = field(default_factory=list)
    phases_label: str = ""
    results: list[ResultRow] = field(default_factory=list)
    baseline: str | None = None
    records: int = 0
    malformed: int = 0
    finished: bool = False  # the workload printed its `done` record
    verified: bool | None = None
    machine: str = ""  # CPU model, cores, numpy and the SIMD level its sort uses
    keys: int | None = None  # the sort's size, as the workload reported it

    @property
    def too_small(self) -> ResultRow | None:
        """The result row whose size is too small to say much, if any."""
        return next((row for row in self.results if row.too_small), None)

    @property
    def rate_unit(self) -> str:
        return RATE_UNITS.get(self.rate_key or "", "per s")


def _rate_key(records: Sequence[MetricRecord], workload: str | None) -> str | None:
    for record in records:
        for key in RATE_KEYS:
            if record.number(key) is not None:
                return key
    return {"sort": "keys_per_s", "train": "samples_per_s"}.get(workload or "")


def _clock(records: Sequence[MetricRecord]) -> tuple[float | None, float | None]:
    """Where to start the time axis: the first wall time (`t`), else the first elapsed_s.
    Wall time is preferred: Ray Train workers print from other processes, whose elapsed_s
    counts from their own start."""
    first_t = next((r.t for r in records if r.t is not None), None)
    first_e = next((r.elapsed_s for r in records if r.elapsed_s is not None), None)
    return first_t, first_e


def _x(record: MetricRecord, index: int, clock: tuple[float | None, float | None]) -> float:
    first_t, first_e = clock
    if record.t is not None and first_t is not None:
        return record.t - first_t
    if record.elapsed_s is not None and first_e is not None:
        return record.elapsed_s - first_e
    return float(index)


def _label(record: MetricRecord) -> str:
    method = str(record.measures.get("method") or "run")
    workers = record.number("workers")
    return f"{method} x{int(workers)}" if workers is not None else method


def throughput(records: Sequence[MetricRecord], rate_key: str | None) -> dict[str, Points]:
    """Rate over time, one line per method (and worker count, for training runs): each timed
    sort run (`run`) or training epoch (`epoch`) is a point."""
    lines: dict[str, Points] = {}
    if rate_key is None:
        return lines
    clock = _clock(records)
    for index, record in enumerate(records):
        if record.phase not in ("run", "epoch"):
            continue
        rate = record.number(rate_key)
        if rate is None:
            continue
        label = _label(record) if record.phase == "epoch" else str(record.measures.get("method"))
        lines.setdefault(label, []).append((_x(record, index, clock), rate))
    return lines


def training_curves(records: Sequence[MetricRecord]) -> tuple[Points, Points, str]:
    """Loss (per `step` record) and accuracy (per `epoch` record) against the global step, of
    the latest sovtui training run (else the latest run of any method)."""
    runs: dict[str, list[MetricRecord]] = {}
    for record in records:
        if record.phase in ("step", "epoch") and record.step is not None:
            runs.setdefault(_label(record), []).append(record)
    if not runs:
        return [], [], ""
    sovtui = [label for label in runs if label.startswith("sovtui")]
    label = (sovtui or list(runs))[-1]
    run = runs[label]
    steps = [r for r in run if r.phase == "step"]
    loss = [(float(r.step or 0), value) for r in steps if (value := r.number("loss")) is not None]
    # A step record's step is epoch * steps_per_epoch + i: an epoch ends at (epoch+1) * that.
    per_epoch = [
        (r.step or 0) / epoch
        for r in steps
        if (epoch := r.number("epoch")) is not None and epoch >= 1 and (r.step or 0) > 0
    ]
    steps_per_epoch = min(per_epoch) if per_epoch else None
    accuracy = []
    for record in run:
        value = record.number("accuracy")
        if record.phase != "epoch" or value is None:
            continue
        epoch = float(record.step or 0)
        accuracy.append(((epoch + 1) * steps_per_epoch if steps_per_epoch else epoch, value))
    return loss, accuracy, label


def phase_breakdown(records: Sequence[MetricRecord]) -> tuple[list[tuple[str, float]], str]:
    """Seconds per timed sort phase: the best run's once reported, else the latest run's."""
    result = next(
        (
            r
            for r in reversed(records)
            if r.phase == "result" and r.measures.get("method") == "sovtui"
        ),
        None,
    )
    phases = result.measures.get("phases") if result is not None else None
    if isinstance(phases, dict) and phases:
        return [
            (str(name), float(value))
            for name, value in phases.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)
        ], "best run"
    current: dict[str, float] = {}
    for record in records:
        if record.phase in SORT_PHASES and (seconds := record.number("seconds")) is not None:
            if record.phase == SORT_PHASES[0]:
                current = {}
            current[record.phase] = seconds
    return list(current.items()), "latest run" if current else ""


def result_rows(
    records: Sequence[MetricRecord], rate_key: str | None, baseline: str | None
) -> list[ResultRow]:
    rows: dict[str, MetricRecord] = {}
    for record in records:
        method = record.measures.get("method")
        if record.phase == "result" and isinstance(method, str):
            rows[method] = record  # a later result for the same method replaces an earlier one
    base = rows.get(baseline or "")
    base_rate = base.number(rate_key) if base is not None and rate_key else None
    table = []
    for method, record in rows.items():
        rate = record.number(rate_key) if rate_key else None
        ratio = rate / base_rate if rate is not None and base_rate else None
        workers = record.number("workers")
        table.append(
            ResultRow(
                method,
                record.number("seconds"),
                rate,
                ratio,
                int(workers) if workers is not None else None,
                too_small=record.measures.get("too_small") is True,
                overhead_share=record.number("overhead_share"),
            )
        )
    return table


def unique_records(records: Iterable[MetricRecord]) -> list[MetricRecord]:
    """Drop exact repeats of a timed record. Ray 2.60 forwards a Ray Train worker's stdout to
    the driver log twice, so the same line (same `t` and `elapsed_s`) can arrive twice."""
    seen: set[str] = set()
    unique = []
    for record in records:
        if record.t is not None:
            key = json.dumps(
                [record.phase, record.step, record.t, record.elapsed_s, record.measures],
                sort_keys=True,
                default=str,
            )
            if key in seen:
                continue
            seen.add(key)
        unique.append(record)
    return unique


def bench_view(series: JobSeries) -> BenchView:
    records = unique_records(series.records)
    workload = records[0].workload if records else None
    rate_key = _rate_key(records, workload)
    baseline = BASELINES.get(workload or "")
    loss, accuracy, curve_label = training_curves(records)
    phases, phases_label = phase_breakdown(records)
    verify = next((r for r in reversed(records) if r.phase == "verify"), None)
    start = next((r for r in records if r.phase == "start"), None)
    keys = start.number("keys") if start is not None else None
    return BenchView(
        workload=workload,
        rate_key=rate_key,
        throughput=throughput(records, rate_key),
        loss=loss,
        accuracy=accuracy,
        curve_label=curve_label,
        scaling=scaling_table(records),
        phases=phases,
        phases_label=phases_label,
        results=result_rows(records, rate_key, baseline),
        baseline=baseline,
        records=len(records),
        malformed=series.parser.malformed,
        finished=any(r.phase == "done" for r in records),
        verified=bool(verify.measures.get("ok")) if verify is not None else None,
        machine=machine_text(start.measures) if start is not None else "",
        keys=int(keys) if keys is not None else None,
    )


# -- launching ---------------------------------------------------------------------------------


def worker_counts(cpus: int, limit: int = 8) -> str:
    """A scaling study's worker counts for a cluster: 1, 2, 4 ... up to its CPUs (and them)."""
    cpus = max(1, min(cpus, limit))
    counts = {cpus}
    power = 1
    while power < cpus:
        counts.add(power)
        power *= 2
    return ",".join(str(count) for count in sorted(counts))


def quick_values(preset: str, cpus: int) -> dict[str, object]:
    """Sizes that finish in well under a minute on a laptop-sized cluster. The sort's key count
    is left to the workload, which sizes it from the cluster's object store (a quarter of it,
    at most 20M keys): a fixed small size would measure Ray's overhead, not the sort."""
    if preset == SORT_PRESET:
        return {
            "baselines": True,
            # Ray Data is the optional `bench` extra: a cluster without it would fail the job.
            "no-ray-data": True,
            "scaling": worker_counts(cpus),
        }
    if preset == TRAIN_PRESET:
        return {
            "epochs": 3,
            "batch-size": 256,
            "repeat-data": 3,
            "hidden": 128,
            "scaling": worker_counts(cpus, limit=4),
            "baselines": True,
        }
    raise ValueError(f"not a benchmark preset: {preset!r}")


# -- saving ------------------------------------------------------------------------------------


def tui_run(
    workload: str,
    params: Mapping[str, Any],
    records: Iterable[MetricRecord],
    *,
    job_id: str,
    address: str,
    malformed: int,
) -> BenchRun:
    """The BenchRun the headless CLI would save for this job (same metadata shape, plus ids)."""
    run = build_run(workload, {k.replace("-", "_"): v for k, v in params.items()}, list(records))
    run.metadata["address"] = address
    run.metadata["mode"] = "ray job"
    run.metadata["malformed_metric_lines"] = malformed
    run.metadata["job_id"] = job_id
    run.metadata["source"] = "tui"
    return run


def save_once(run: BenchRun, directory: Path | None = None) -> Path | None:
    """Save unless a run of the same job is already stored (watching a job twice, say)."""
    job_id = run.metadata.get("job_id")
    if job_id and any(r.metadata.get("job_id") == job_id for r in store.history(directory)):
        return None
    return store.save(run, directory)
