"""`sovtui submit PRESET [-p name=value ...] [--wait] [--follow] [--json]`, and for an ad-hoc
job, as Ray's `ray job submit` does: `sovtui submit [--wait] [--follow] [--json] -- CMD ...`
(the words after `--` become the entrypoint, quoted with shlex.join as Ray's CLI quotes them).
Refused in read-only mode (exit 2).

Exit codes: 0 submitted (or, with --wait/--follow, SUCCEEDED); 1 the job failed or the cluster
refused; 2 bad preset or parameter (nothing is submitted).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any

from sovtui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    add_connection_options,
    refuse_if_readonly,
)
from sovtui.cli.jobs import print_log_lines
from sovtui.cli.jobs_common import connect, run_with
from sovtui.cli.presets import report_failures
from sovtui.cluster.connect import Connection
from sovtui.presets.argv import ParamError, parse_assignments, resolve_values
from sovtui.presets.launch import launch
from sovtui.presets.loader import load_presets
from sovtui.presets.models import Preset
from sovtui.ray_api.job_report import failure_report, last_lines
from sovtui.ray_api.jobs import JobsApi
from sovtui.ray_api.logs import LogTail
from sovtui.support.safe_text import log_line, visible


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("submit", help="launch a preset workload as a Ray job")
    add_connection_options(parser, suppress_defaults=True)
    parser.add_argument(
        "preset", nargs="?", help="preset name (see `sovtui presets`); or `-- CMD ...` for ad hoc"
    )
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a preset parameter (repeatable)",
    )
    parser.add_argument("--wait", action="store_true", help="wait for the job to finish")
    parser.add_argument(
        "--follow", action="store_true", help="stream the job's log until it ends (implies --wait)"
    )
    parser.add_argument("--json", action="store_true", help="print the job record as JSON")
    parser.set_defaults(handler=run, accepts_trailing=True)


def _find(name: str) -> Preset:
    result = load_presets()
    preset = result.get(name)
    if preset is not None:
        return preset
    report_failures(result)
    known = ", ".join(result.names) or "none"
    raise UserError(f"no preset {name!r} (known: {known})", EXIT_BAD_INPUT)


def _say(text: str, as_json: bool) -> None:
    # With --json, stdout carries only the JSON document.
    print(text, file=sys.stderr if as_json else sys.stdout, flush=True)


async def _submit(connection: Connection, args: argparse.Namespace, preset: Preset) -> int:
    jobs = JobsApi(connection.client)
    given = parse_assignments(args.param)
    launched = await launch(connection.client, preset, given, jobs=jobs)
    shipped = ""
    if launched.package:
        shipped = " (code uploaded)" if launched.uploaded else " (code already on the cluster)"
    _say(visible(f"submitted {launched.submission_id}{shipped}: {launched.entrypoint}"), args.json)
    if args.follow:
        stream = sys.stderr if args.json else sys.stdout

        def show(lines: list[str]) -> None:
            print_log_lines(lines, stream)

        await LogTail(connection.client, launched.submission_id, jobs=jobs).follow(show)
    if args.follow or args.wait:
        details = await jobs.wait(launched.submission_id)
    else:
        details = await jobs.job(launched.submission_id)
    document: dict[str, Any] = details.model_dump(mode="json")
    document["submission_id"] = launched.submission_id
    failed = details.is_terminal and details.status != "SUCCEEDED"
    if failed:
        log_text = await jobs.logs(launched.submission_id)
        document["last_log_lines"] = last_lines(log_text)
        for line in failure_report(details, log_text):
            print(log_line(line), file=sys.stderr)  # the cluster's words: made safe
    if args.json:
        print(json.dumps(document, indent=2))
    elif not failed:
        print(visible(f"{launched.submission_id} {details.status}"))
    if args.follow or args.wait:
        return EXIT_OK if details.status == "SUCCEEDED" else EXIT_FAILURE
    return EXIT_OK


async def _submit_command(connection: Connection, args: argparse.Namespace, command: str) -> int:
    from sovtui.ray_api.jobs import JobSpec, new_submission_id

    jobs = JobsApi(connection.client)
    submitted = await jobs.submit(
        JobSpec(entrypoint=command, metadata={"sovtui.source": "submit --"}),
        new_submission_id("adhoc"),
    )
    submission_id = submitted.submission_id
    _say(visible(f"submitted {submission_id}: {command}"), args.json)
    if args.follow:
        stream = sys.stderr if args.json else sys.stdout
        await LogTail(connection.client, submission_id, jobs=jobs).follow(
            lambda lines: print_log_lines(lines, stream)
        )
    waited = args.follow or args.wait
    details = await (jobs.wait(submission_id) if waited else jobs.job(submission_id))
    if args.json:
        document: dict[str, Any] = details.model_dump(mode="json")
        document["submission_id"] = submission_id
        print(json.dumps(document, indent=2))
    else:
        print(visible(f"{submission_id} {details.status}"))
    if waited:
        return EXIT_OK if details.status == "SUCCEEDED" else EXIT_FAILURE
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    trailing = getattr(args, "trailing", None)
    if trailing is not None:
        if args.preset or args.param:
            raise UserError("give a preset or `-- CMD ...`, not both", EXIT_BAD_INPUT)
        if not trailing:
            raise UserError("`sovtui submit --` needs a command after --", EXIT_BAD_INPUT)
        refuse_if_readonly(args, "submit a job")
        command = shlex.join(trailing)
        keep = bool(getattr(args, "keep", False))
        connection = connect(args, allow_embedded=keep)
        return run_with(connection, lambda c: _submit_command(c, args, command), keep=keep)
    if not args.preset:
        raise UserError("name a preset (see `sovtui presets`) or give `-- CMD ...`")
    refuse_if_readonly(args, f"submit preset {args.preset}")
    preset = _find(args.preset)
    try:
        # Validate before connecting: a typo must not need (or start) a cluster.
        resolve_values(preset, parse_assignments(args.param))
    except ParamError as error:
        raise UserError(f"preset {preset.name!r}: {error}", EXIT_BAD_INPUT) from None
    keep = bool(getattr(args, "keep", False))
    # An embedded head only makes sense if it outlives the command, so only with --keep.
    connection = connect(args, allow_embedded=keep)
    return run_with(connection, lambda c: _submit(c, args, preset), keep=keep)
