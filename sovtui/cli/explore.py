"""Headless explorer, in the spirit of Ray's own CLI:

    sovtui list actors|tasks|pgs|objects|workers|nodes|jobs [--filter KEY=VALUE ...] [--limit N]
    sovtui summary tasks|actors|objects
    sovtui pending
    sovtui kill-actor ID|NAME [--namespace NS]

Each takes --json. Exit codes: 0 ok, 1 the cluster failed or refused, 2 bad input (an unknown
resource, a malformed filter, a filter column Ray does not know, a limit past 10,000, an actor
that cannot be named), and read-only mode refuses kill-actor with 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sovtui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    add_connection_options,
    refuse_if_readonly,
)
from sovtui.cli.jobs_common import connect, run_with
from sovtui.cluster.connect import Connection
from sovtui.ray_api.errors import DashboardRejected
from sovtui.ray_api.state import (
    KIND_ALIASES,
    MAX_LIMIT,
    StateApi,
    StateFilter,
    StateList,
    Summary,
    kind_named,
    parse_filter,
)
from sovtui.support.formatting import human_amount, truncate
from sovtui.support.safe_text import visible

LIST_KINDS = ("actors", "tasks", "pgs", "objects", "workers", "nodes", "jobs")

Column = tuple[str, Callable[[Any], object], int]  # header, value, widest shown


def _short(value: str | None) -> str:
    return (value or "")[:8]


def _joined(mapping: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}: {v}" for k, v in (mapping or {}).items())


COLUMNS: dict[str, list[Column]] = {
    "actors": [
        ("ACTOR_ID", lambda a: a.actor_id, 32),
        ("CLASS", lambda a: a.class_name, 24),
        ("NAME", lambda a: a.name, 24),
        ("NAMESPACE", lambda a: a.ray_namespace, 20),
        ("STATE", lambda a: a.state, 16),
        ("NODE", lambda a: _short(a.node_id), 8),
        ("PID", lambda a: a.pid or "", 8),
        ("JOB", lambda a: a.job_id, 8),
    ],
    "tasks": [
        ("TASK_ID", lambda t: t.task_id, 48),
        ("NAME", lambda t: t.func_or_class_name or t.name, 28),
        ("STATE", lambda t: t.state, 24),
        ("TYPE", lambda t: t.type, 20),
        ("JOB", lambda t: t.job_id, 8),
        ("NODE", lambda t: _short(t.node_id), 8),
        ("PID", lambda t: t.worker_pid or "", 8),
        ("ERROR_TYPE", lambda t: t.error_type or "", 26),
    ],
    "placement_groups": [
        ("PLACEMENT_GROUP_ID", lambda p: p.placement_group_id, 36),
        ("NAME", lambda p: p.name, 24),
        ("STATE", lambda p: p.state, 12),
        ("SCHEDULING", lambda p: p.scheduling_state, 12),
        ("JOB", lambda p: p.creator_job_id, 8),
        (
            "BUNDLES",
            lambda p: "; ".join(
                f"{_joined(b.unit_resources)} @ {_short(b.node_id) or '-'}" for b in p.bundles
            ),
            60,
        ),
    ],
    "objects": [
        ("OBJECT_ID", lambda o: o.object_id, 56),
        (
            "SIZE",
            lambda o: "" if o.known_size is None else human_amount("memory", o.known_size),
            10,
        ),
        ("TASK_STATUS", lambda o: o.task_status, 24),
        ("REFERENCE_TYPE", lambda o: o.reference_type, 18),
        ("TYPE", lambda o: o.type, 8),
        ("PID", lambda o: o.pid or "", 8),
        ("IP", lambda o: o.ip, 15),
    ],
    "workers": [
        ("WORKER_ID", lambda w: w.worker_id, 56),
        ("ALIVE", lambda w: w.is_alive, 5),
        ("TYPE", lambda w: w.worker_type, 12),
        ("EXIT_TYPE", lambda w: w.exit_type or "", 14),
        ("NODE", lambda w: _short(w.node_id), 8),
        ("IP", lambda w: w.ip, 15),
        ("PID", lambda w: w.pid or "", 8),
    ],
    "nodes": [
        ("NODE_ID", lambda n: n.node_id, 56),
        ("IP", lambda n: n.node_ip, 15),
        ("HEAD", lambda n: n.is_head_node, 5),
        ("STATE", lambda n: n.state, 6),
        ("CPU", lambda n: f"{n.resources_total.get('CPU', 0):g}", 5),
        ("GPU", lambda n: f"{n.resources_total.get('GPU', 0):g}", 5),
        ("MEMORY", lambda n: human_amount("memory", n.resources_total.get("memory")), 10),
    ],
    "jobs": [
        ("JOB_ID", lambda j: j.job_id, 8),
        ("SUBMISSION_ID", lambda j: j.submission_id or "", 36),
        ("STATUS", lambda j: j.status, 10),
        ("TYPE", lambda j: j.type, 10),
        ("ENTRYPOINT", lambda j: j.entrypoint, 50),
    ],
}


def render_table(rows: Sequence[Any], columns: Sequence[Column]) -> list[str]:
    """Fixed-width columns, each as wide as its widest value (capped); cluster text made safe."""
    cells = [
        [
            visible(truncate(str(get(row) if get(row) is not None else ""), cap))
            for _, get, cap in columns
        ]
        for row in rows
    ]
    widths = [
        max([len(header), *(len(line[index]) for line in cells)])
        for index, (header, _, _) in enumerate(columns)
    ]
    lines = ["  ".join(h.ljust(w) for (h, _, _), w in zip(columns, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    return lines


def register(subparsers: argparse._SubParsersAction) -> None:
    listing = subparsers.add_parser("list", help="list actors, tasks, pgs, objects, workers ...")
    add_connection_options(listing, suppress_defaults=True)
    listing.add_argument("resource", metavar="RESOURCE", help=", ".join(LIST_KINDS))
    listing.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keep rows where KEY=VALUE or KEY!=VALUE (repeatable; all must hold)",
    )
    listing.add_argument(
        "--limit", type=int, default=100, help=f"most rows (default 100, at most {MAX_LIMIT})"
    )
    listing.add_argument("--detail", action="store_true", help="every field (costs more)")
    listing.add_argument(
        "--live", action="store_true", help="tasks: only those not FINISHED (cheap, never lost)"
    )
    listing.add_argument("--all", action="store_true", help="workers: dead ones too")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    listing.set_defaults(handler=run_list)

    summary = subparsers.add_parser("summary", help="tasks by function, actors by class ...")
    add_connection_options(summary, suppress_defaults=True)
    summary.add_argument("resource", choices=("tasks", "actors", "objects"))
    summary.add_argument("--json", action="store_true", help="print JSON for scripts")
    summary.set_defaults(handler=run_summary)

    pending = subparsers.add_parser("pending", help="what cannot run, and why")
    add_connection_options(pending, suppress_defaults=True)
    pending.add_argument("--json", action="store_true", help="print JSON for scripts")
    pending.set_defaults(handler=run_pending)

    kill = subparsers.add_parser("kill-actor", help="kill a named actor (through a helper job)")
    add_connection_options(kill, suppress_defaults=True)
    kill.add_argument("actor", help="actor id (32 hex digits) or name")
    kill.add_argument("--namespace", help="the actor's namespace (when a name is in several)")
    kill.add_argument("--json", action="store_true", help="print JSON for scripts")
    kill.set_defaults(handler=run_kill)


# list -------------------------------------------------------------------------------------------


def _filters(texts: Sequence[str]) -> list[StateFilter]:
    try:
        return [parse_filter(text) for text in texts]
    except ValueError as error:
        raise UserError(str(error), EXIT_BAD_INPUT) from None


def _bad_request_is_input(error: DashboardRejected) -> UserError:
    """Ray's 400s (an unknown filter column, a bad predicate) are the user's to fix."""
    code = EXIT_BAD_INPUT if error.status_code == 400 else EXIT_FAILURE
    return UserError(f"{error.state}: {error}", code)


def print_notes(notes: Sequence[str], as_json: bool) -> None:
    for note in notes:
        print(visible(f"sovtui: {note}"), file=sys.stderr if as_json else sys.stdout)


async def _list(connection: Connection, args: argparse.Namespace) -> int:
    kind = kind_named(args.resource)
    api = StateApi(connection.client)
    filters = _filters(args.filter)
    try:
        if kind.name == "tasks" and args.live:
            answer: StateList[Any] = await api.live_tasks(filters, args.limit, args.detail)
        elif kind.name == "workers":
            answer = await api.workers(
                filters, args.limit, alive_only=not args.all, detail=args.detail
            )
        else:
            # Placement groups without detail say neither where bundles landed nor INFEASIBLE.
            detail = args.detail or kind.name == "placement_groups"
            answer = await api.list_of(kind, filters=filters, limit=args.limit, detail=detail)
    except DashboardRejected as error:
        raise _bad_request_is_input(error) from None
    if args.json:
        print(json.dumps(answer.to_json(), indent=2))
    else:
        for line in render_table(answer.items, COLUMNS[kind.name]):
            print(line)
    print_notes(answer.notes(), args.json)
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    if args.resource not in KIND_ALIASES:
        raise UserError(
            f"unknown resource {args.resource!r} (one of: {', '.join(LIST_KINDS)})", EXIT_BAD_INPUT
        )
    if not 1 <= args.limit <= MAX_LIMIT:
        raise UserError(f"--limit must be between 1 and {MAX_LIMIT}, not {args.limit}")
    _filters(args.filter)  # bad filters are caught before connecting
    return run_with(connect(args), lambda c: _list(c, args))


# summary ----------------------------------------------------------------------------------------


def summary_lines(kind: str, summary: Summary[Any]) -> list[str]:
    rows = list(summary.rows.items())
    if kind == "objects":
        columns: list[Column] = [
            ("CALLSITE", lambda r: r[0], 60),
            ("OBJECTS", lambda r: r[1].total_objects, 8),
            ("SIZE_MB", lambda r: f"{r[1].total_size_mb:.3f}", 10),
            ("WORKERS", lambda r: r[1].total_num_workers, 8),
            ("NODES", lambda r: r[1].total_num_nodes, 6),
            ("REFERENCE_TYPES", lambda r: _joined(r[1].ref_type_counts), 60),
        ]
    elif kind == "actors":
        columns = [
            ("CLASS_NAME", lambda r: r[1].class_name or r[0], 40),
            ("STATE_COUNTS", lambda r: _joined(r[1].state_counts), 80),
        ]
    else:
        columns = [
            ("FUNC_OR_CLASS_NAME", lambda r: r[1].func_or_class_name or r[0], 48),
            ("TYPE", lambda r: r[1].type, 20),
            ("STATE_COUNTS", lambda r: _joined(r[1].state_counts), 80),
        ]
    lines = render_table(rows, columns)
    totals = summary.state_totals()
    if totals:
        lines += ["", visible(f"total {summary.total}: {_joined(totals)}")]
    else:
        lines += ["", f"total {summary.total}"]
    return lines


async def _summary(connection: Connection, args: argparse.Namespace) -> int:
    summary = await StateApi(connection.client).summary(args.resource)
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        for line in summary_lines(args.resource, summary):
            print(line)
    print_notes([" ".join(w.split()) for w in summary.warnings], args.json)
    return EXIT_OK


def run_summary(args: argparse.Namespace) -> int:
    return run_with(connect(args), lambda c: _summary(c, args))


# pending ----------------------------------------------------------------------------------------


async def _pending(connection: Connection, args: argparse.Namespace) -> int:
    from sovtui.monitor.pending import pending_report

    report = await pending_report(StateApi(connection.client))
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        for line in report.lines():
            print(visible(line))
    return EXIT_OK


def run_pending(args: argparse.Namespace) -> int:
    return run_with(connect(args), lambda c: _pending(c, args))


# kill-actor -------------------------------------------------------------------------------------


async def _kill(connection: Connection, args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from sovtui.ray_api.actor_kill import (
        ActorKillError,
        ActorNotFound,
        AmbiguousActor,
        UnnamedActor,
        kill_actor,
    )

    try:
        result = await kill_actor(StateApi(connection.client), args.actor, args.namespace)
    except (ActorNotFound, AmbiguousActor, UnnamedActor) as error:
        raise UserError(str(error), EXIT_BAD_INPUT) from None
    except ActorKillError as error:
        raise UserError(str(error), EXIT_FAILURE) from None
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        print(visible(result.line()))
    return EXIT_OK if result.state == "DEAD" else EXIT_FAILURE


def run_kill(args: argparse.Namespace) -> int:
    refuse_if_readonly(args, f"kill actor {args.actor}")
    return run_with(connect(args), lambda c: _kill(c, args))
