"""`sovtui logs JOB [--follow]` and `sovtui stop JOB`: one job, by submission id or job id.

`sovtui logs` also reads any log of the cluster: `--node ID --file NAME` (a node's log file, as
`sovtui list`/the node view name them), `--actor ID` or `--task ID` (`--err` for stderr), with
`--lines N` (0: the whole file) and `--follow` (node files and actors; until Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from sovtui.cli.common import (
    EXIT_OK,
    UserError,
    add_connection_options,
    refuse_if_readonly,
)
from sovtui.cli.jobs_common import connect, run_with
from sovtui.cluster.connect import Connection
from sovtui.ray_api.jobs import JobsApi
from sovtui.ray_api.logs import LogTail
from sovtui.support.safe_text import log_lines, log_text, visible


def register(subparsers: argparse._SubParsersAction) -> None:
    logs = subparsers.add_parser(
        "logs", help="print a job's driver log, or a node's, actor's or task's log"
    )
    add_connection_options(logs, suppress_defaults=True)
    logs.add_argument("job", nargs="?", help="submission id (sovtui-...) or job id")
    logs.add_argument("--follow", "-f", action="store_true", help="keep streaming until it ends")
    logs.add_argument("--node", metavar="NODE_ID", help="the node of --file")
    logs.add_argument("--file", metavar="NAME", help="a log file of --node (e.g. raylet.out)")
    logs.add_argument("--actor", metavar="ACTOR_ID", help="an actor's stdout (stderr with --err)")
    logs.add_argument("--task", metavar="TASK_ID", help="a task's stdout (stderr with --err)")
    logs.add_argument("--err", action="store_true", help="stderr instead of stdout")
    logs.add_argument(
        "--lines", type=int, default=1000, help="last N lines (0: the whole file; default 1000)"
    )
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


def _cluster_log_target(args: argparse.Namespace) -> dict[str, Any] | None:
    """The cluster log `logs` names (None: a job's log); UserError when the flags do not fit."""
    named = [flag for flag in ("file", "actor", "task") if getattr(args, flag, None)]
    if not named:
        if getattr(args, "node", None):
            raise UserError("--node needs --file NAME (see the node's files in the TUI)")
        if not args.job:
            raise UserError("name a log: JOB, --node ID --file NAME, --actor ID or --task ID")
        return None
    if args.job or len(named) > 1:
        raise UserError("name one log: JOB, --node ID --file NAME, --actor ID or --task ID")
    if args.file and not args.node:
        raise UserError("--file needs --node ID")
    if args.task and args.follow:
        raise UserError("--follow works for node files and actors, not tasks")
    if args.lines < 0:
        raise UserError(f"--lines must be 0 (whole file) or more, not {args.lines}")
    return {
        "node_id": args.node if args.file else None,
        "filename": args.file,
        "actor_id": args.actor,
        "task_id": args.task,
    }


async def _cluster_log(
    connection: Connection, args: argparse.Namespace, target: dict[str, Any]
) -> int:
    from sovtui.ray_api.state import StateApi

    api = StateApi(connection.client)
    suffix = "err" if args.err else "out"
    terminal = for_terminal(sys.stdout)
    if args.follow:
        pending = ""
        async for text in api.stream_log(**target, suffix=suffix, lines=args.lines or 1000):
            parts = (pending + text).split("\n")
            pending = parts.pop()
            print_log_lines(parts)
        if pending:
            print_log_lines([pending])
        return EXIT_OK
    text = await api.log_file(**target, suffix=suffix, lines=args.lines)
    sys.stdout.write(log_text(text) if terminal else text)
    sys.stdout.flush()
    return EXIT_OK


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
    target = _cluster_log_target(args)
    if target is not None:
        return run_with(connect(args), lambda c: _cluster_log(c, args, target))
    return run_with(connect(args), lambda c: _logs(c, args))


def run_stop(args: argparse.Namespace) -> int:
    refuse_if_readonly(args, f"stop job {args.job}")
    return run_with(connect(args), lambda c: _stop(c, args))
