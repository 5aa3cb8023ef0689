"""`sovtui logs JOB [--follow]` and `sovtui stop JOB`: one job, by submission id or job id."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from sovtui.cli.common import EXIT_OK, add_connection_options
from sovtui.cli.jobs_common import connect, run_with
from sovtui.cluster.connect import Connection
from sovtui.ray_api.jobs import JobsApi
from sovtui.ray_api.logs import LogTail
from sovtui.support.safe_text import log_lines, log_text, visible


def register(subparsers: argparse._SubParsersAction) -> None:
    logs = subparsers.add_parser("logs", help="print a job's driver log")
    add_connection_options(logs, suppress_defaults=True)
    logs.add_argument("job", help="submission id (sovtui-...) or job id")
    logs.add_argument("--follow", "-f", action="store_true", help="keep streaming until it ends")
    logs.set_defaults(handler=run_logs)
    stop = subparsers.add_parser("stop", help="stop a running job")
    add_connection_options(stop, suppress_defaults=True)
    stop.add_argument("job", help="submission id (sovtui-...) or job id")
    stop.set_defaults(handler=run_stop)


def for_terminal(stream: TextIO) -> bool:
    """A terminal gets logs made safe; a file or a pipe gets them byte for byte."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def print_log_lines(lines: list[str], stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    if for_terminal(stream):
        lines = log_lines(lines)
    for line in lines:
        print(line, file=stream, flush=True)


async def _logs(connection: Connection, args: argparse.Namespace) -> int:
    if args.follow:
        await LogTail(connection.client, args.job).follow(print_log_lines)
    else:
        text = await JobsApi(connection.client).logs(args.job)
        sys.stdout.write(log_text(text) if for_terminal(sys.stdout) else text)
        sys.stdout.flush()
    return EXIT_OK


async def _stop(connection: Connection, args: argparse.Namespace) -> int:
    stopped = await JobsApi(connection.client).stop(args.job)
    state = "stop requested" if stopped else "not running (already finished)"
    print(f"{visible(args.job)}: {state}")
    return EXIT_OK


def run_logs(args: argparse.Namespace) -> int:
    return run_with(connect(args), lambda c: _logs(c, args))


def run_stop(args: argparse.Namespace) -> int:
    return run_with(connect(args), lambda c: _stop(c, args))
