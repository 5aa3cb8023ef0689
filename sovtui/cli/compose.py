"""Headless Compose-on-Docker commands: up, scale, down, ps, image build.

Exit codes: 0 ok, 1 runtime failure (engine, build, timeout), 2 bad input (file, flags).
The cluster token is never printed; it lives in the state folder (see sovtui.cluster.compose.store).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sovtui.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    add_readonly_option,
    checked,
    refuse_if_readonly,
    whole_number,
)
from sovtui.cli.hangup import Hangup, hangup_signals, quietly, raise_hangup
from sovtui.cluster.compose.docker_driver import DEFAULT_PROJECT, ComposeDriver, ProgressEvent
from sovtui.cluster.compose.store import project_name_problem, token_path
from sovtui.cluster.errors import ClusterError, ComposeError
from sovtui.support import input_files
from sovtui.support.safe_text import log_line, visible


def _add_project(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        "-p",
        type=checked(project_name_problem),
        default=DEFAULT_PROJECT,
        help=f"Compose project name (default {DEFAULT_PROJECT})",
    )


def register(subparsers: Any) -> None:
    up = subparsers.add_parser("up", help="start a Ray cluster from a Compose file on Docker")
    up.add_argument(
        "file", type=Path, help="Compose file, e.g. deployments/compose/cpu-ray-cluster.yaml"
    )
    up.add_argument(
        "--workers", "-n", type=whole_number, default=1, help="worker containers (default 1)"
    )
    up.add_argument(
        "--no-wait",
        action="store_true",
        help="return once workers are started, without waiting for ALIVE nodes",
    )
    _add_project(up)
    add_readonly_option(up)
    up.set_defaults(handler=run_up)

    scale = subparsers.add_parser("scale", help="set the number of worker containers")
    scale.add_argument("workers", type=whole_number, metavar="N")
    scale.add_argument("--no-wait", action="store_true")
    _add_project(scale)
    add_readonly_option(scale)
    scale.set_defaults(handler=run_scale)

    down = subparsers.add_parser("down", help="remove the cluster's containers and networks")
    _add_project(down)
    add_readonly_option(down)
    down.set_defaults(handler=run_down)

    ps = subparsers.add_parser("ps", help="list the cluster's containers with CPU and memory")
    ps.add_argument("--json", action="store_true", help="machine-readable output")
    ps.add_argument("--no-stats", action="store_true", help="skip CPU/memory (faster)")
    _add_project(ps)
    ps.set_defaults(handler=run_ps)

    image = subparsers.add_parser("image", help="the cluster image")
    image_sub = image.add_subparsers(dest="image_command", metavar="ACTION", required=True)
    build = image_sub.add_parser("build", help="build sovtui/ray (skipped when unchanged)")
    build.add_argument("--force", action="store_true", help="rebuild even when the tag exists")
    build.add_argument("--quiet", "-q", action="store_true", help="hide build log lines")
    build.set_defaults(handler=run_image_build)


def _print_progress(event: ProgressEvent) -> None:
    counter = f" [{event.done}/{event.total}]" if event.total else ""
    # After an SSH drop the terminal is gone: the rollback that follows must not fail on it.
    line = visible(f"{event.stage:>7}{counter} {event.message}")
    quietly(lambda: print(line, file=sys.stderr, flush=True))


def _driver(args: argparse.Namespace, quiet: bool = False) -> ComposeDriver:
    def silent(_: ProgressEvent) -> None:
        return None

    return ComposeDriver(args.project, progress=silent if quiet else _print_progress)


def _guard(action: Any) -> int:
    """ComposeError is bad input (2); other ClusterErrors are run-time failures (1)."""
    try:
        result = action()
    except ComposeError as error:
        raise UserError(str(error)) from None
    except ClusterError as error:
        raise UserError(str(error), EXIT_FAILURE) from None
    return int(result) if isinstance(result, int) else EXIT_OK


def run_up(args: argparse.Namespace) -> int:
    refuse_if_readonly(args, "start a Compose cluster (`sovtui up`)")
    problem = input_files.problem(args.file)
    if problem is not None:
        raise UserError(f"Compose file {args.file}: {problem}")

    def action() -> int:
        # SIGHUP (SSH drop) and SIGTERM unwind like Ctrl-C: `up` rolls back what it created.
        with hangup_signals(raise_hangup):
            record = _driver(args).up(args.file, args.workers, wait=not args.no_wait)
        print(f"dashboard: {record.dashboard_url}")
        print(f"token file: {token_path(args.project)}")
        return EXIT_OK

    try:
        return _guard(action)
    except Hangup as hangup:
        message = f"sovtui: {hangup}: what `up` had created was removed"
        quietly(lambda: print(message, file=sys.stderr, flush=True))
        return hangup.exit_code


def run_scale(args: argparse.Namespace) -> int:
    refuse_if_readonly(args, "scale the Compose cluster (`sovtui scale`)")

    def action() -> int:
        _driver(args).scale(args.workers, wait=not args.no_wait)
        return EXIT_OK

    return _guard(action)


def run_down(args: argparse.Namespace) -> int:
    refuse_if_readonly(args, "remove the Compose cluster (`sovtui down`)")

    def action() -> int:
        _driver(args).down()
        return EXIT_OK

    return _guard(action)


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.0f}MiB"


def run_ps(args: argparse.Namespace) -> int:
    def action() -> int:
        rows = _driver(args, quiet=True).ps(stats=not args.no_stats)
        if args.json:
            print(json.dumps([asdict(row) for row in rows], indent=2))
            return EXIT_OK
        print(f"{'NAME':<28} {'SERVICE':<12} {'STATE':<9} {'CPU%':>6} {'MEMORY':>18}")
        for row in rows:
            cpu = "-" if row.cpu_percent is None else f"{row.cpu_percent:.1f}"
            memory = f"{_mib(row.memory_bytes)}/{_mib(row.memory_limit)}"
            print(f"{row.name:<28} {row.service:<12} {row.state:<9} {cpu:>6} {memory:>18}")
        return EXIT_OK

    return _guard(action)


def run_image_build(args: argparse.Namespace) -> int:
    from sovtui.cluster.compose.image_build import build_image

    def log(line: str) -> None:
        if not args.quiet or not line.startswith("build:"):
            print(log_line(line), file=sys.stderr, flush=True)  # Docker's build output

    def action() -> int:
        result = build_image(log, force=args.force)
        print(result.tag)
        return EXIT_OK

    return _guard(action)
