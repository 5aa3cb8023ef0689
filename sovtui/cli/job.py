"""`sovtui job status|list|stop|delete|logs ...`: Ray's job CLI verbs, over the dashboard.

`sovtui job logs` and `sovtui job stop` are `sovtui logs` and `sovtui stop`; `stop` and `delete`
change the cluster and are refused in read-only mode (exit 2).
"""

from __future__ import annotations

import argparse
import json
import time

from sovtui.cli.common import EXIT_OK, add_connection_options, refuse_if_readonly
from sovtui.cli.jobs import run_logs, run_stop
from sovtui.cli.jobs_common import connect, run_with
from sovtui.cluster.connect import Connection
from sovtui.ray_api.job_delete import delete_for_good
from sovtui.ray_api.jobs import JobsApi
from sovtui.ray_api.models import JobDetails
from sovtui.ray_api.state import StateApi
from sovtui.support.formatting import job_duration, job_start, truncate
from sovtui.support.safe_text import visible


def register(subparsers: argparse._SubParsersAction) -> None:
    job = subparsers.add_parser("job", help="Ray job verbs: status, list, stop, delete, logs")
    verbs = job.add_subparsers(dest="job_command", metavar="VERB", required=True)

    status = verbs.add_parser("status", help="one job's status")
    add_connection_options(status, suppress_defaults=True)
    status.add_argument("job", help="submission id or job id")
    status.add_argument("--json", action="store_true", help="print JSON for scripts")
    status.set_defaults(handler=run_status)

    listing = verbs.add_parser("list", help="every job the cluster knows")
    add_connection_options(listing, suppress_defaults=True)
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    listing.set_defaults(handler=run_list)

    stop = verbs.add_parser("stop", help="stop a running job")
    add_connection_options(stop, suppress_defaults=True)
    stop.add_argument("job", help="submission id or job id")
    stop.set_defaults(handler=run_stop)

    delete = verbs.add_parser("delete", help="delete a finished job (record and logs)")
    add_connection_options(delete, suppress_defaults=True)
    delete.add_argument("job", help="submission id or job id")
    delete.set_defaults(handler=run_delete)

    logs = verbs.add_parser("logs", help="a job's driver log")
    add_connection_options(logs, suppress_defaults=True)
    logs.add_argument("job", help="submission id or job id")
    logs.add_argument("--follow", "-f", action="store_true", help="keep streaming until it ends")
    logs.set_defaults(handler=run_logs, node=None, file=None, actor=None, task=None)


def job_line(job: JobDetails, now: float) -> str:
    return visible(
        f"{truncate(job.display_id, 36):<36} {job.status:<10} {job_start(job.start_time)}  "
        f"{job_duration(job.start_time, job.end_time, now):>7}  {truncate(job.entrypoint, 50)}"
    )


async def _status(connection: Connection, args: argparse.Namespace) -> int:
    details = await JobsApi(connection.client).job(args.job)
    if args.json:
        print(json.dumps(details.model_dump(mode="json"), indent=2))
        return EXIT_OK
    print(visible(f"{details.display_id}: {details.status}"))
    if details.message:
        print(visible(details.message.splitlines()[0] if details.message else ""))
    return EXIT_OK


async def _list(connection: Connection, args: argparse.Namespace) -> int:
    jobs = await connection.client.jobs()
    if args.json:
        print(json.dumps([job.model_dump(mode="json") for job in jobs], indent=2))
        return EXIT_OK
    now = time.time()
    print(f"{'SUBMISSION_ID':<36} {'STATUS':<10} {'START':<19}  {'TIME':>7}  ENTRYPOINT")
    for job in sorted(jobs, key=lambda j: j.start_time or 0):
        print(job_line(job, now))
    return EXIT_OK


async def _delete(connection: Connection, args: argparse.Namespace) -> int:
    client = connection.client
    deleted = await delete_for_good(JobsApi(client), StateApi(client), args.job)
    print(visible(f"{args.job}: {'deleted' if deleted else 'not deleted'}"))
    return EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    return run_with(connect(args), lambda c: _status(c, args))


def run_list(args: argparse.Namespace) -> int:
    return run_with(connect(args), lambda c: _list(c, args))


def run_delete(args: argparse.Namespace) -> int:
    refuse_if_readonly(args, f"delete job {args.job}")
    return run_with(connect(args), lambda c: _delete(c, args))
