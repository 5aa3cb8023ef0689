"""`sovtui history`: the clusters the recorder kept, one cluster's series and jobs, pruning.

    sovtui history [--json]                       every recording, most recently seen first
    sovtui history show CLUSTER [--since 2h] [--nodes] [--json | --csv]
    sovtui history prune [--dry-run]              apply the `history:` settings now

CLUSTER is a key (or its prefix) from the list, a session name, an address or a Compose
project (the most recent recording there). `--since` counts back from the recording's last
poll, so a dead cluster's last two hours are `--since 2h` the next morning too.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sqlite3
import sys
import time
from typing import Any

from sovtui.cli.common import EXIT_FAILURE, EXIT_OK, UserError, settings_from_args
from sovtui.recorder import query
from sovtui.recorder.prune import prune
from sovtui.recorder.schema import CLUSTER_METRICS, GPU_METRICS, NODE_METRICS, Metric
from sovtui.support.formatting import human_bytes, human_duration, truncate
from sovtui.support.safe_text import visible

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TEXT_ROWS = 24  # buckets in the text table


def parse_since(text: str) -> float:
    """`90s`, `30m`, `2h`, `7d` -> seconds; anything else is bad input naming the flag."""
    found = _DURATION.match(text.strip().lower())
    if not found or float(found.group(1)) <= 0:
        raise UserError(f"--since {text!r}: expected a duration like 90s, 30m, 2h or 7d")
    return float(found.group(1)) * _UNITS[found.group(2)]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history", help="clusters the recorder kept: list, show one (series, jobs), prune"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("--config", type=_path, default=argparse.SUPPRESS, help="settings file")
    actions = parser.add_subparsers(dest="history_action", metavar="ACTION")
    show = actions.add_parser("show", help="one cluster's series and jobs")
    show.add_argument("cluster", help="a key (or prefix) from `sovtui history`, or an address")
    show.add_argument("--since", help="only the last N (90s, 30m, 2h, 7d) before its last poll")
    show.add_argument("--nodes", action="store_true", help="include every node's series")
    fmt = show.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", dest="show_json", help="print JSON")
    fmt.add_argument("--csv", action="store_true", help="print the series as CSV")
    pruner = actions.add_parser("prune", help="drop what is past the history settings now")
    pruner.add_argument("--dry-run", action="store_true", help="say what would go, change nothing")
    parser.set_defaults(handler=run)


def _path(text: str) -> Any:
    from pathlib import Path

    return Path(text)


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "history_action", None)
    if action == "show":
        return _show(args)
    if action == "prune":
        return _prune(args)
    return _list(args)


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _list(args: argparse.Namespace) -> int:
    clusters = query.list_clusters()
    if args.json:
        listed = [{**c.to_json(), "replayable": query.replayable(c)} for c in clusters]
        print(json.dumps(listed, indent=2))
        return EXIT_OK
    if not clusters:
        print("No recorded clusters yet (the dashboard records every cluster it watches).")
        return EXIT_OK
    for c in clusters:
        span = human_duration(c.last_seen - c.first_seen)
        print(visible(f"{c.key}  {c.label}"))
        print(
            visible(
                f"    {_when(c.first_seen)} .. {_when(c.last_seen)} ({span})  "
                f"nodes {c.nodes} (up to {c.max_nodes} alive)  jobs {c.jobs}  "
                f"{human_bytes(c.size_bytes)}"
            )
        )
        print(visible(f"    {c.ended}"))
        if query.replayable(c):
            print(visible(f"    replay: sovtui --replay {c.key}"))
        else:
            print("    no poll recorded: nothing to replay")
    return EXIT_OK


def _prune(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    report = prune(settings.history, dry_run=args.dry_run)
    for line in report.lines():
        print(visible(("would be " if args.dry_run else "") + line))
    return EXIT_OK


def _series_table(
    recording: query.Recording,
    metrics: tuple[Metric, ...],
    since: float,
    until: float,
    buckets: int,
    **where: Any,
) -> dict[str, list[query.Bucket]]:
    found = {}
    for metric in metrics:
        series = recording.series(metric.name, since=since, until=until, buckets=buckets, **where)
        if series:
            found[metric.name] = series
    return found


def _show(args: argparse.Namespace) -> int:
    try:
        info = query.find_cluster(args.cluster)
    except LookupError as error:
        raise UserError(str(error)) from None
    try:
        recording = query.Recording(info.path)
    except (sqlite3.Error, LookupError) as error:
        raise UserError(f"cannot read {info.path}: {error}", EXIT_FAILURE) from None
    try:
        until = recording.last_seen + 1
        since = info.first_seen if args.since is None else until - parse_since(args.since)
        since = max(since, info.first_seen)
        window = max(1.0, until - since)
        fine = max(1, int(window // 60)) if window > 3600 else max(1, int(window // 10))
        as_text = not (args.show_json or args.csv)
        buckets = TEXT_ROWS if as_text else fine
        cluster = _series_table(recording, CLUSTER_METRICS, since, until, buckets)
        node_series: dict[str, dict[str, list[query.Bucket]]] = {}
        if args.nodes:
            for node in recording.nodes():
                node_id = node["node_id"]
                node_series[node_id] = _series_table(
                    recording, NODE_METRICS, since, until, buckets, node=node_id
                )
                for gpu in _gpu_indexes(recording, node["id"]):
                    node_series[f"{node_id}/gpu{gpu}"] = _series_table(
                        recording, GPU_METRICS, since, until, buckets, node=node_id, gpu=gpu
                    )
        jobs = recording.jobs()
        nodes = recording.nodes()
        metrics = recording.metrics()
    except sqlite3.Error as error:
        raise UserError(f"cannot read {info.path}: {error}", EXIT_FAILURE) from None
    finally:
        recording.close()
    if args.csv:
        _print_csv(cluster, node_series)
    elif args.show_json:
        document = {
            "cluster": info.to_json(),
            "since": since,
            "until": until,
            "nodes": [dict(node) for node in nodes],
            "series": {k: [_bucket(b) for b in v] for k, v in cluster.items()},
            "node_series": {
                node: {k: [_bucket(b) for b in v] for k, v in series.items()}
                for node, series in node_series.items()
            },
            "jobs": [job.to_json() for job in jobs],
            "bench_metrics": metrics,
        }
        print(json.dumps(document, indent=2))
    else:
        print(_render(info, nodes, cluster, node_series, jobs))
    return EXIT_OK


def _gpu_indexes(recording: query.Recording, ref: int) -> list[int]:
    rows = recording.connection.execute(
        "SELECT DISTINCT idx FROM gpu_minute WHERE node = ? UNION "
        "SELECT DISTINCT idx FROM gpu_raw WHERE node = ?",
        (ref, ref),
    )
    return sorted(r[0] for r in rows)


def _bucket(bucket: query.Bucket) -> list[float]:
    return [bucket.t, bucket.min, bucket.mean, bucket.max]


def _print_csv(
    cluster: dict[str, list[query.Bucket]],
    node_series: dict[str, dict[str, list[query.Bucket]]],
) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["time", "scope", "metric", "min", "mean", "max"])
    scopes = [("cluster", cluster), *node_series.items()]
    for scope, series in scopes:
        for metric, buckets in series.items():
            for b in buckets:
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(b.t))
                writer.writerow([stamp, scope, metric, f"{b.min:g}", f"{b.mean:.6g}", f"{b.max:g}"])


def _amount(metric: Metric, value: float) -> str:
    if metric.unit == "B":
        return human_bytes(value)
    if metric.unit == "B/s":
        return human_bytes(value) + "/s"
    if metric.unit == "%":
        return f"{value:.0f}%"
    return f"{value:g}"


def _render(
    info: query.ClusterInfo,
    nodes: list[sqlite3.Row],
    cluster: dict[str, list[query.Bucket]],
    node_series: dict[str, dict[str, list[query.Bucket]]],
    jobs: list[query.JobRecord],
) -> str:
    lines = [
        f"{info.key}  {info.label}",
        f"  session {info.session_name or '?'}  Ray {info.ray_version or '?'}",
        f"  {_when(info.first_seen)} .. {_when(info.last_seen)}  {info.ended}",
        "",
        f"Nodes ({len(nodes)})",
    ]
    for node in nodes:
        role = "head" if node["is_head"] else "worker"
        lines.append(
            f"  {node['node_id'][:8]}  {node['ip'] or '':<15} {role:<6} {node['state'] or '?':<6} "
            f"CPU {node['cpus'] or 0:g}  GPU {node['gpus'] or 0:g}  "
            f"{_when(node['first_seen'] / 1000)} .. {_when(node['last_seen'] / 1000)}"
        )
    shown = [m for m in CLUSTER_METRICS if m.name in ("nodes", "cpu_pct", "cpu_used", "gpu_used",
                                                      "mem_used", "obj_used")]  # fmt: skip
    present = [m for m in shown if m.name in cluster]
    if present:
        lines += ["", "Cluster (min / mean / max per row)"]
        lines.append("  " + "time".ljust(17) + "".join(m.label[:22].ljust(24) for m in present))
        times = sorted({b.t for m in present for b in cluster[m.name]})
        by_time = {m.name: {b.t: b for b in cluster[m.name]} for m in present}
        for t in times:
            cells = []
            for m in present:
                b = by_time[m.name].get(t)
                cell = f"{_amount(m, b.min)}/{_amount(m, b.mean)}/{_amount(m, b.max)}" if b else "-"
                cells.append(cell[:23].ljust(24))
            stamp = time.strftime("%m-%d %H:%M:%S", time.localtime(t))
            lines.append("  " + stamp.ljust(17) + "".join(cells))
    for scope, series in node_series.items():
        lines += ["", f"Node {scope}"]
        for name, buckets in series.items():
            metric = next(m for m in (*NODE_METRICS, *GPU_METRICS) if m.name == name)
            low = min(b.min for b in buckets)
            high = max(b.max for b in buckets)
            mean = sum(b.mean for b in buckets) / len(buckets)
            lines.append(
                f"  {metric.label:<20} min {_amount(metric, low)}  mean {_amount(metric, mean)}"
                f"  max {_amount(metric, high)}"
            )
    lines += ["", f"Jobs ({len(jobs)})"]
    for job in jobs:
        duration = human_duration(job.duration_s) if job.duration_s is not None else "-"
        lines.append(
            f"  {truncate(job.key, 32):<32} {job.status:<10} {_when(job.start_time)}  "
            f"{duration:>7}  {truncate(job.entrypoint, 40)}"
        )
        if job.error_type or (job.status == "FAILED" and job.message):
            lines.append(f"      {job.error_type or 'error'}: {truncate(job.message, 100)}")
        if job.note:
            lines.append(f"      {job.note}")
    return "\n".join(visible(line) for line in lines)
