"""`sovtui status [--json]`: one snapshot, printed, for scripts and `watch` on a login node."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from sovtui.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    add_connection_options,
    connection_target,
    settings_from_args,
)
from sovtui.cluster.connect import open_connection
from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.snapshot import ClusterSnapshot
from sovtui.support.formatting import human_amount, job_duration, job_start, percent, truncate
from sovtui.support.safe_text import visible


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status", help="print one snapshot of the cluster and exit (never starts a head)"
    )
    add_connection_options(parser, suppress_defaults=True)
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    connection = open_connection(
        settings,
        allow_embedded=False,
        progress=None if args.json else _note,
        **connection_target(args),
    )

    tunnel: dict[str, object] | None = None

    async def fetch() -> ClusterSnapshot:
        nonlocal tunnel
        try:
            snapshot = await connection.client.snapshot()
            tunnel = connection.tunnel_json()  # as it was while in use
            return snapshot
        finally:
            await connection.close()

    try:
        snapshot = asyncio.run(fetch())
    except DashboardError as error:
        raise UserError(f"{error.state}: {error}", EXIT_FAILURE) from None
    if args.json:
        document = snapshot.to_json()
        document["address"] = connection.address
        document["mode"] = connection.mode
        document["source"] = connection.source  # e.g. "$RAY_ADDRESS=10.0.0.5:6379 via the GCS"
        document["context"] = connection.context
        document["tunnel"] = tunnel  # null without --via
        print(json.dumps(document, indent=2))
    else:
        print(render_text(snapshot, connection.label))  # JSON above escapes controls itself
    return EXIT_OK


def _note(text: str) -> None:
    print(f"sovtui: {text}", file=sys.stderr)


def render_text(snapshot: ClusterSnapshot, label: str) -> str:
    version = snapshot.version.ray_version if snapshot.version else "?"
    lines = [f"Ray {version} · {label}", ""]
    for name, usage in snapshot.totals.items():
        lines.append(
            f"  {name:<20} {human_amount(name, usage.used):>12} / {human_amount(name, usage.total)}"
        )
    lines += ["", f"Nodes ({len(snapshot.alive_nodes)} alive of {len(snapshot.nodes)})"]
    for node in snapshot.nodes:
        role = "head" if node.is_head else "worker"
        lines.append(
            f"  {node.short_id}  {node.ip:<15} {role:<6} {node.state:<6} "
            f"CPU {node.cpus:g} ({percent(node.cpu_percent)})"
        )
    lines += ["", f"Jobs ({len(snapshot.jobs)})"]
    now = time.time()
    for job in snapshot.jobs:
        lines.append(
            f"  {truncate(job.display_id, 32):<32} {job.status:<10} "
            f"{job_start(job.start_time)}  {job_duration(job.start_time, job.end_time, now):>7}  "
            f"{truncate(job.entrypoint, 40)}"
        )
    # Node and job fields are the cluster's text: controls made visible, line by line.
    return "\n".join(visible(line) for line in lines)
