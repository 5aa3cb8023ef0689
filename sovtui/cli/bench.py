"""`sovtui bench sort|train|history`: run a benchmark headless and keep its results.

This process never imports ray. On a cluster with a dashboard (picked as every command picks
it) the workload runs as a Ray job through the shared jobs core (see sovtui.bench.jobs);
otherwise it runs as a subprocess (see sovtui.bench.runner) with a private Ray head, or attached
with `--address auto|ray://...`. Either way we only read its SOVTUI_METRIC lines.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from sovtui.bench import results as store
from sovtui.bench.jobs import BenchJob, JobError, run_job
from sovtui.bench.report import build_run, format_table, machine_text
from sovtui.bench.runner import WorkloadRun, run_workload
from sovtui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    add_connection_options,
    connection_target,
    settings_from_args,
)
from sovtui.cli.jobs import print_log_lines
from sovtui.cli.jobs_common import run_with
from sovtui.cluster.connect import Connection, attach_connection
from sovtui.ray_api.errors import DashboardError
from sovtui.support.extras import MissingExtra, require

RAY_CLIENT_SCHEME = "ray://"
WHERE = (
    "The cluster is picked as for every command (--address, $RAY_API_SERVER_ADDRESS, "
    "$RAY_ADDRESS, the config, a dashboard answering at the default address) and the benchmark "
    "runs there as a Ray job. With none of those it runs with a private Ray head "
    "(--local-cpus); --address auto|ray://HOST:PORT attaches the workload process instead."
)


def _worker_list(text: str) -> list[int]:
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of integers: {text!r}"
        ) from None
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError("worker counts must be >= 1")
    return values


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.description = WHERE
    add_connection_options(parser, suppress_defaults=True)
    parser.add_argument(
        "--workers",
        type=_worker_list,
        default=None,
        help="worker counts for a scaling study, e.g. 1,2,4 (capped at the cluster's CPUs)",
    )
    parser.add_argument("--baselines", action="store_true", help="also time the baselines")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs each (best is kept)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-save", action="store_true", help="do not store the results")
    parser.add_argument(
        "--local-cpus",
        type=int,
        default=None,
        help="CPUs of the private Ray head started when no --address is given (default: all)",
    )


def register(subparsers: Any) -> None:
    bench = subparsers.add_parser("bench", help="sort and training benchmarks, headless")
    commands = bench.add_subparsers(dest="bench_command", metavar="BENCH", required=True)

    sort = commands.add_parser("sort", help="distributed sample sort vs numpy and Ray Data")
    _add_run_options(sort)
    sort.add_argument(
        "--keys",
        type=int,
        default=None,
        help="int64 keys to sort (default: a quarter of the cluster's object store, at most 20M)",
    )
    sort.add_argument("--partitions", type=int, default=None, help="P (default: cluster CPUs)")
    sort.add_argument(
        "--no-ray-data",
        action="store_true",
        help="with --baselines: skip Ray Data's sort (about 1 Mkeys/s: minutes at 200M keys)",
    )
    sort.add_argument(
        "--numpy-simd",
        choices=("auto", "default", "no-avx512"),
        default="auto",
        help="numpy sort kernel for every numpy step: auto (the faster of numpy's default and "
        "its AVX2 fallback, measured on the cluster), default, no-avx512",
    )
    sort.set_defaults(handler=_run_sort)

    train = commands.add_parser("train", help="Ray Train data-parallel MLP vs single torch")
    _add_run_options(train)
    train.add_argument("--epochs", type=int, default=3)
    train.add_argument("--batch-size", type=int, default=2048, help="global batch size")
    train.add_argument("--repeat-data", type=int, default=20, help="copies of the digits set")
    train.set_defaults(handler=_run_train)

    history = commands.add_parser("history", help="list past benchmark runs")
    history.add_argument("--json", action="store_true", help="print the runs as JSON")
    history.set_defaults(handler=_history)


def _ray_address(args: argparse.Namespace) -> str | None:
    """`--address auto` or `--address ray://...`: the workload subprocess attaches with that
    RAY_ADDRESS (these name a Ray cluster, never a dashboard). None for anything else."""
    address = str(getattr(args, "address", None) or "")
    return address if address == "auto" or address.startswith(RAY_CLIENT_SCHEME) else None


def _as_job(
    connection: Connection,
    name: str,
    argv: list[str],
    workload: str,
    params: dict[str, Any],
    echo: Callable[[str], None],
) -> BenchJob:
    """Ship, submit and follow the workload as a Ray job on `connection`'s dashboard."""

    async def work(connection: Connection) -> BenchJob:
        return await run_job(
            connection.client, name, argv, workload=workload, params=params, on_line=echo
        )

    try:
        return run_with(connection, work)
    except JobError as error:
        raise UserError(str(error), EXIT_FAILURE) from None


def _execute(
    workload: str,
    name: str,
    args: argparse.Namespace,
    argv: list[str],
    params: dict[str, Any],
    echo: Callable[[str], None],
) -> tuple[WorkloadRun, dict[str, Any]]:
    """Run the workload where the user pointed: (outcome, where-and-how metadata).

    The cluster is picked as every command picks it (--address > env > config > a dashboard
    answering at the default address) and the workload runs there as a Ray job; with none of
    those, as a subprocess with a private Ray head. `--address auto|ray://...` runs the
    subprocess attached to that cluster."""
    ray_address = _ray_address(args)
    if ray_address is None:
        settings = settings_from_args(args)
        try:
            connection = attach_connection(settings, **connection_target(args))
        except DashboardError as error:  # $RAY_ADDRESS names a cluster that does not answer
            raise UserError(f"{error.state}: {error}", EXIT_FAILURE) from None
        if connection is not None:
            address, source = connection.address, connection.source
            job = _as_job(connection, name, argv, workload, params, echo)
            where = {"address": address, "source": source, "submission_id": job.submission_id}
            return job, {**where, "mode": "ray job"}
        # (A $RAY_ADDRESS naming a cluster never gets here: attach_connection raised instead.)
        if not settings.embed:
            raise UserError(
                "no Ray dashboard answers and --no-embed / embed: false forbids "
                "a private Ray head; name a cluster with --address",
                EXIT_FAILURE,
            )
        argv = [*argv, "--local-cpus", str(args.local_cpus or os.cpu_count() or 1)]
    _require_local(name)
    outcome = run_workload(name, argv, ray_address, on_line=echo)
    return outcome, {"address": ray_address or "private local head", "mode": "subprocess"}


def _require_local(name: str) -> None:
    """The subprocess runs the workload with this environment's Ray and numpy."""
    try:
        for module in ("ray", "numpy"):
            require(module, f"`sovtui bench` without a cluster ({name} on a private head)")
    except MissingExtra as error:
        raise UserError(str(error), EXIT_BAD_INPUT) from None


def _run(
    workload: str, name: str, args: argparse.Namespace, extra: list[str], params: dict[str, Any]
) -> int:
    argv = [*extra, "--repeat", str(args.repeat)]
    if args.workers:
        argv += ["--scaling", ",".join(map(str, args.workers))]
    # In --json mode stdout carries only the JSON document; progress goes to stderr.
    sink = sys.stderr if args.json else sys.stdout

    def echo(line: str) -> None:
        print_log_lines([line], sink)  # the job's output: made safe on a terminal

    outcome, metadata = _execute(workload, name, args, argv, params, echo)
    if outcome.returncode != 0:
        tail = next((line for line in reversed(outcome.output) if line.strip()), "")
        raise UserError(f"{name} failed (exit {outcome.returncode}): {tail}", EXIT_FAILURE)
    run = build_run(workload, params, outcome.records)
    run.metadata.update(metadata)
    run.metadata["malformed_metric_lines"] = outcome.malformed
    saved = None if args.no_save else store.save(run)
    if args.json:
        document = run.to_dict()
        document["saved"] = str(saved) if saved else None
        print(json.dumps(document, indent=2))
    else:
        print("\n".join(format_table(run)))
        if saved:
            print(f"saved: {saved} (+ .csv)")
    if run.metadata.get("verified") is False:
        return EXIT_FAILURE
    return EXIT_OK


def _run_sort(args: argparse.Namespace) -> int:
    if args.keys is not None and args.keys < 0:
        raise UserError("--keys must be >= 0")
    extra = [] if args.keys is None else ["--keys", str(args.keys)]
    if args.numpy_simd != "auto":
        extra += ["--numpy-simd", args.numpy_simd]
    if args.partitions:
        extra += ["--partitions", str(args.partitions)]
    if args.baselines:
        extra.append("--baselines")
    if args.no_ray_data:
        extra.append("--no-ray-data")
    params = {
        "keys": args.keys,
        "partitions": args.partitions,
        "workers": args.workers,
        "repeat": args.repeat,
        "baselines": args.baselines,
        "numpy_simd": args.numpy_simd,
    }
    return _run("sort", "sort_bench", args, extra, params)


def _run_train(args: argparse.Namespace) -> int:
    extra = [
        "--epochs",
        str(args.epochs),
        "--batch-size",
        str(args.batch_size),
        "--repeat-data",
        str(args.repeat_data),
    ]
    if args.baselines:
        extra.append("--baselines")
    params = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "repeat_data": args.repeat_data,
        "workers": args.workers,
        "repeat": args.repeat,
        "baselines": args.baselines,
    }
    return _run("train", "train_bench", args, extra, params)


def _history(args: argparse.Namespace) -> int:
    runs = store.history()
    if args.json:
        print(json.dumps([run.to_dict() for run in runs], indent=2))
        return EXIT_OK
    if not runs:
        print(f"no benchmark runs yet in {store.bench_dir()}")
        return EXIT_OK
    for run in runs:
        best = ", ".join(
            f"{row['method']} {row['seconds']:.3f}s"
            for row in run.results
            if row.get("seconds") is not None
        )
        keys = run.metadata.get("keys") or run.params.get("keys")
        size = f"  {keys:,} keys" if isinstance(keys, int) else ""
        machine = machine_text(run.metadata)
        print(
            f"{run.created}  {run.workload:<6} {run.run_id}  {best}{size}"
            + (f"  [{machine}]" if machine else "")
        )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """`python -m sovtui.cli.bench sort ...`: the same as `sovtui bench ...`."""
    parser = argparse.ArgumentParser(prog="sovtui")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["bench", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.handler(args))
    except UserError as error:
        print(f"sovtui: {error}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
