"""`sovtui slurm up|ls|down|attach`: Ray clusters in Slurm allocations, from the login node.

Exit codes: 0 ok, 1 run-time failure (Slurm unreachable, the job failed, a deadline), 2 bad
input. Every Slurm command runs with a deadline ($SOVTUI_SLURM_TIMEOUT, 15 s): without
slurmctld they answer in seconds with one line, never hang. Tokens are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from collections.abc import Coroutine
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, TypeVar

from sovtui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    checked,
    refuse_if_readonly,
    settings_from_args,
    whole_number,
)
from sovtui.cli.hangup import Hangup, hangup_signals, quietly, raise_hangup
from sovtui.cluster.slurm import lifecycle, notes, queue, records
from sovtui.cluster.slurm.commands import SlurmError
from sovtui.cluster.slurm.records import SlurmCluster
from sovtui.cluster.slurm.script import (
    DEFAULT_WARN_BEFORE_S,
    RequestError,
    SlurmRequest,
    memory_problem,
    name_problem,
    time_problem,
)
from sovtui.support.safe_text import visible

T = TypeVar("T")


def register(subparsers: Any) -> None:
    slurm = subparsers.add_parser("slurm", help="Ray clusters in Slurm allocations")
    slurm.add_argument("--config", type=Path, default=None, help=argparse.SUPPRESS)
    actions = slurm.add_subparsers(dest="slurm_command", metavar="ACTION", required=True)

    up = actions.add_parser("up", help="submit a Ray cluster as a Slurm job and attach to it")
    up.add_argument("--nodes", "-N", type=whole_number, default=1, help="nodes (default 1)")
    up.add_argument(
        "--time", "-t", type=checked(time_problem), default="2:00:00", help="time limit"
    )
    up.add_argument("--partition", "-p", help="Slurm partition (default: the site's)")
    up.add_argument("--cpus-per-node", "-c", type=whole_number, help="CPUs for Ray on each node")
    up.add_argument("--gpus-per-node", "-G", type=whole_number, help="GPUs for Ray on each node")
    up.add_argument("--mem", type=checked(memory_problem), help="memory per node, e.g. 16G")
    up.add_argument("--account", "-A", help="Slurm account to charge")
    up.add_argument("--name", type=checked(name_problem), help="cluster name (default ray, ...)")
    up.add_argument(
        "--python",
        default=sys.executable,
        help="the Python (with Ray) that runs on the nodes (default: sovtui's own)",
    )
    up.add_argument(
        "--signal-before",
        type=whole_number,
        default=DEFAULT_WARN_BEFORE_S,
        metavar="SECONDS",
        help="Slurm sends the job USR1 this long before its time limit (default 300)",
    )
    up.add_argument("--no-wait", action="store_true", help="return once the job is queued")
    up.add_argument(
        "--start-timeout",
        type=float,
        default=lifecycle.START_TIMEOUT_S,
        metavar="SECONDS",
        help="from running to a ready Ray head (default 180)",
    )
    up.add_argument("--json", action="store_true", help="print the cluster as JSON")
    up.set_defaults(handler=run_up)

    ls = actions.add_parser("ls", help="sovtui's Slurm clusters and your other jobs")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(handler=run_ls)

    down = actions.add_parser("down", help="cancel a cluster's job and wait until it is gone")
    down.add_argument("cluster", nargs="?", metavar="NAME|JOBID", help="default: the only one")
    down.set_defaults(handler=run_down)

    attach = actions.add_parser("attach", help="adopt a Ray cluster another script started")
    attach.add_argument("job_id", metavar="JOBID")
    attach.add_argument("--address", required=True, help="its Ray dashboard URL")
    attach.add_argument("--name", type=checked(name_problem), help="cluster name (default jJOBID)")
    attach.add_argument("--token-file", type=Path, help="its Ray token file (default: as Ray)")
    attach.add_argument("--json", action="store_true", help="print the cluster as JSON")
    attach.set_defaults(handler=run_attach)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine; Slurm's failures are one line and exit 1."""
    try:
        return asyncio.run(coroutine)
    except RequestError as error:
        raise UserError(str(error), EXIT_BAD_INPUT) from None
    except SlurmError as error:
        raise UserError(str(error), EXIT_FAILURE) from None


def _stderr(line: str) -> None:
    quietly(lambda: print(f"sovtui: {visible(line)}", file=sys.stderr, flush=True))


def cluster_document(cluster: SlurmCluster) -> dict[str, Any]:
    document = asdict(cluster)
    document["script"] = str(Path(cluster.state_dir) / records.SCRIPT_FILE)
    document["output"] = str(Path(cluster.state_dir) / f"slurm-{cluster.job_id}.out")
    document["warnings"] = notes.warnings(cluster)
    document["outcome"] = notes.outcome(cluster)
    return document


def _print_cluster(cluster: SlurmCluster) -> None:
    print(f"cluster {cluster.name}: job {cluster.job_id} {cluster.state} on {cluster.nodes}")
    print(f"dashboard: {cluster.dashboard_url}")
    print(f"token file: {cluster.token_path}")
    print(f"batch script: {Path(cluster.state_dir) / records.SCRIPT_FILE}")
    print(
        f"watch it: RAY_AUTH_TOKEN_PATH={cluster.token_path} sovtui --address "
        f"{cluster.dashboard_url}"
    )
    for warning in notes.warnings(cluster):
        print(f"warning: {warning}")


def run_up(args: argparse.Namespace) -> int:
    settings = refuse_if_readonly(args, "start a Slurm cluster (`sovtui slurm up`)")
    python = shutil.which(args.python)
    if python is None:
        raise UserError(f"--python {args.python}: not found or not executable")
    request = SlurmRequest(
        name=args.name or "ray",
        python=str(Path(python).absolute()),
        nodes=args.nodes,
        time=args.time,
        partition=args.partition,
        cpus_per_node=args.cpus_per_node,
        gpus_per_node=args.gpus_per_node,
        mem=args.mem,
        account=args.account,
        warn_before_s=args.signal_before,
        pythonpath=os.environ.get("PYTHONPATH") or None,
    )
    problems = request.problems()
    if problems:
        raise UserError("; ".join(problems))
    submitted: list[records.ClusterRecord] = []

    async def up() -> SlurmCluster | None:
        jobs = await queue.list_jobs()
        named = request
        if args.name is None:
            named = replace(request, name=lifecycle.default_name(lifecycle.active_names(jobs)))
        record = await lifecycle.submit(named, jobs)
        submitted.append(record)
        _stderr(f"submitted job {record.job_id} ({record.name})")
        if args.no_wait:
            return None
        return await lifecycle.wait_ready(
            settings, record, progress=_stderr, start_timeout=args.start_timeout
        )

    try:
        # SIGHUP (SSH drop) and SIGTERM unwind like Ctrl-C: the submitted job is cancelled.
        with hangup_signals(raise_hangup):
            cluster = asyncio.run(up())
    except lifecycle.SlurmJobEnded as error:
        raise UserError(str(error), EXIT_FAILURE) from None
    except RequestError as error:
        raise UserError(str(error), EXIT_BAD_INPUT) from None
    except (KeyboardInterrupt, SlurmError) as error:
        if submitted:
            _roll_back(submitted[0])
        if isinstance(error, Hangup):
            return error.exit_code
        if isinstance(error, SlurmError):
            raise UserError(str(error), EXIT_FAILURE) from None
        raise
    if cluster is None:
        record = submitted[0]
        view = records.cluster_view(record, None, live=False)
        if args.json:
            print(json.dumps(cluster_document(view), indent=2))
        else:
            print(f"job {record.job_id} ({record.name}) queued; `sovtui slurm ls` shows it")
        return EXIT_OK
    if args.json:
        print(json.dumps(cluster_document(cluster), indent=2))
    else:
        _print_cluster(cluster)
    return EXIT_OK


def _roll_back(record: records.ClusterRecord) -> None:
    """`up` did not finish: cancel the job it submitted, as Compose's `up` removes its part."""
    try:
        asyncio.run(lifecycle.cancel(record))
        _stderr(f"cancelled job {record.job_id} ({record.name}), which `up` had submitted")
    except (SlurmError, KeyboardInterrupt) as error:
        _stderr(f"could not cancel job {record.job_id}: {error}; run: scancel {record.job_id}")


def _time_left(cluster: SlurmCluster | None, job: queue.SlurmJob) -> str:
    left = job.seconds_left()
    return queue.format_duration(left) if left is not None else "-"


def run_ls(args: argparse.Namespace) -> int:
    jobs = _run(queue.list_jobs())
    clusters = records.list_clusters(jobs)
    mine = {cluster.job_id for cluster in clusters}
    others = [job for job in jobs if job.active and job.job_id not in mine]
    if args.json:
        document = {
            "clusters": [cluster_document(cluster) for cluster in clusters],
            "other_jobs": [asdict(job) for job in others],
        }
        print(json.dumps(document, indent=2))
        return EXIT_OK
    by_id = {job.job_id: job for job in jobs}
    header = f"{'NAME':<16} {'JOBID':<10} {'STATE':<11} {'NODES':<14} {'LEFT':>10}  NOTE"
    print(header)
    for cluster in clusters:
        job = by_id.get(cluster.job_id)
        left = _time_left(cluster, job) if job is not None else "-"
        note = cluster.reason or notes.outcome(cluster) or cluster.dashboard_url or ""
        print(
            f"{cluster.name:<16} {cluster.job_id:<10} {cluster.state:<11} "
            f"{cluster.nodes or '-':<14} {left:>10}  {visible(note)}"
        )
        for warning in notes.warnings(cluster):
            print(f"{'':<16} warning: {warning}")
    if others:
        print("\nYour other jobs")
        for job in others:
            left = _time_left(None, job)
            print(
                f"{visible(job.name)[:16]:<16} {job.job_id:<10} {job.state:<11} "
                f"{job.nodes or '-':<14} {left:>10}  {job.reason or ''}"
            )
    return EXIT_OK


def run_down(args: argparse.Namespace) -> int:
    refuse_if_readonly(args, "cancel a Slurm cluster (`sovtui slurm down`)")

    async def down() -> tuple[records.ClusterRecord, str]:
        jobs = await queue.list_jobs()
        record = _pick(args.cluster, jobs)
        job = queue.find(jobs, record.job_id)
        if job is None or not job.active:
            return record, f"already ended ({job.state if job else 'gone from the queue'})"
        return record, await lifecycle.cancel(record)

    record, state = _run(down())
    print(f"cluster {record.name} (job {record.job_id}) is down: {state}")
    return EXIT_OK


def _pick(wanted: str | None, jobs: list[queue.SlurmJob]) -> records.ClusterRecord:
    if wanted is not None:
        record = records.find(wanted)
        if record is None:
            if queue.find(jobs, wanted) is not None:
                raise UserError(f"job {wanted} is not a sovtui cluster; cancel it with scancel")
            raise UserError(f"no Slurm cluster named {wanted!r} (see `sovtui slurm ls`)")
        return record
    running = [cluster for cluster in records.list_clusters(jobs) if cluster.active]
    if len(running) != 1:
        names = ", ".join(cluster.name for cluster in running) or "none"
        raise UserError(f"name the cluster to take down (running: {names})")
    found = records.find(running[0].name)
    assert found is not None
    return found


def run_attach(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if not args.job_id.isdigit():
        raise UserError(f"not a Slurm job id: {args.job_id!r}")
    name = args.name or f"j{args.job_id}"

    async def attach() -> SlurmCluster:
        jobs = await queue.list_jobs()
        return await lifecycle.adopt(
            settings, args.job_id, args.address, name, args.token_file, jobs
        )

    cluster = _run(attach())
    if args.json:
        print(json.dumps(cluster_document(cluster), indent=2))
    else:
        _print_cluster(cluster)
    return EXIT_OK
