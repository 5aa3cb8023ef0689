"""N one-second tasks run one after another, then all at once: how much time parallelism saves.

Usage: python -m sovtui.workloads.parallel_speedup --tasks 4 --seconds 1
"""

from __future__ import annotations

import argparse
import time

import ray

from sovtui.workloads._common import add_ray_options, cluster_cpus, init_ray, main_wrapper
from sovtui.workloads._metrics import emit


@ray.remote
def work(seconds: float) -> float:
    # Sleep stands in for a fixed-length job so the result does not depend on CPU contention.
    time.sleep(seconds)
    return seconds


def run(args: argparse.Namespace) -> int:
    init_ray(args)
    ray.get(work.remote(0))  # warm a worker so start-up cost is not charged to either mode
    start = time.perf_counter()
    for _ in range(args.tasks):
        ray.get(work.remote(args.seconds))
    serial = time.perf_counter() - start
    emit("parallel_speedup", "serial", seconds=serial, tasks=args.tasks)
    start = time.perf_counter()
    ray.get([work.remote(args.seconds) for _ in range(args.tasks)])
    parallel = time.perf_counter() - start
    saved = 1.0 - parallel / serial if serial > 0 else 0.0
    print(f"parallel_speedup: {args.tasks} x {args.seconds}s tasks on {cluster_cpus()} CPU(s)")
    print(f"serial:   {serial:.2f} s")
    print(f"parallel: {parallel:.2f} s")
    print(f"speedup {serial / parallel:.2f}x, time saved {saved:.0%}")
    emit(
        "parallel_speedup",
        "result",
        tasks=args.tasks,
        serial_s=serial,
        parallel_s=parallel,
        speedup=serial / parallel,
        saved_fraction=saved,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parallel_speedup", description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=4, help="how many tasks")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each task")
    add_ray_options(parser)
    args = parser.parse_args(argv)
    if args.tasks < 1 or args.seconds < 0:
        parser.error("--tasks must be >= 1 and --seconds >= 0")
    return main_wrapper("parallel_speedup", lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
