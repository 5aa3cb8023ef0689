"""Shared plumbing for workload entrypoints: attaching to Ray, and failing with a clear message."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

import ray


def add_ray_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--local-cpus",
        type=int,
        default=None,
        help="start a private local Ray head with this many CPUs instead of attaching "
        "(default: attach to RAY_ADDRESS / the job's cluster)",
    )


def init_ray(args: argparse.Namespace) -> None:
    """Attach to the job's cluster (RAY_ADDRESS), or start a private head when asked to.

    `address="local"` matters for the private head: a bare ray.init() would attach to any
    cluster started with `ray start` on this machine, which is not ours to load.
    """
    if ray.is_initialized():
        return
    local_cpus = getattr(args, "local_cpus", None)
    if local_cpus is not None or os.environ.get("RAY_ADDRESS", "").strip() == "local":
        ray.init(
            address="local",
            num_cpus=local_cpus,
            include_dashboard=False,
            log_to_driver=True,
            configure_logging=False,
            # Ray renices workers to 15 by default. On a busy machine that starves them next to
            # the driver (nice 0), which runs the single-process baselines: compare like with like.
            # Raylets batch object frees once a second by default; flushing them every 100 ms
            # keeps the store near what is really referenced (sort peaks at 2x, not 3x, data).
            _system_config={"worker_niceness": 0, "free_objects_period_milliseconds": 100},
        )
    else:
        ray.init(configure_logging=False)


@ray.remote(num_cpus=0)
def _worker_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


def worker_niceness() -> int:
    """Niceness of a worker process (15 on a default Ray cluster): printed with every result."""
    return int(ray.get(_worker_niceness.remote()))


def load_average() -> float:
    """1-minute load of the driver's host: a busy shared box explains noisy timings."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def cluster_cpus() -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def cluster_gpus() -> int:
    return int(ray.cluster_resources().get("GPU", 0))


def alive_nodes() -> int:
    return sum(1 for node in ray.nodes() if node.get("Alive"))


def main_wrapper(name: str, body: Callable[[], int]) -> int:
    """Run `body`; turn any exception into one clear line on stderr and exit status 1.

    Ray is shut down afterwards only if `body` started it (tests call main() inside a session
    that already holds a Ray connection).
    """
    owned = not ray.is_initialized()
    try:
        return body()
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the job log should say what failed, not only a traceback
        import traceback

        traceback.print_exc()
        print(f"{name}: FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        if owned and ray.is_initialized():
            ray.shutdown()
