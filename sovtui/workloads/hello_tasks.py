"""The classic Ray example: many small remote tasks run in parallel, results gathered in order.

Usage: python -m sovtui.workloads.hello_tasks --tasks 8
"""

from __future__ import annotations

import argparse
import socket
import time

import ray

from sovtui.workloads._common import add_ray_options, cluster_cpus, init_ray, main_wrapper
from sovtui.workloads._metrics import emit


@ray.remote
def square(x: int) -> tuple[int, str]:
    return x * x, socket.gethostname()


def run(args: argparse.Namespace) -> int:
    init_ray(args)
    print(f"hello_tasks: {args.tasks} tasks on {cluster_cpus()} CPU(s)")
    start = time.perf_counter()
    results = ray.get([square.remote(i) for i in range(args.tasks)])
    seconds = time.perf_counter() - start
    values = [value for value, _ in results]
    hosts = sorted({host for _, host in results})
    expected = [i * i for i in range(args.tasks)]
    print(f"squares: {values}")
    print(f"ran on: {', '.join(hosts)}")
    emit("hello_tasks", "result", tasks=args.tasks, seconds=seconds, hosts=len(hosts))
    if values != expected:
        print("hello_tasks: FAILED: results differ from i*i")
        return 1
    print(f"hello_tasks: OK, {args.tasks} results in {seconds:.3f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hello_tasks", description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10, help="how many remote tasks")
    add_ray_options(parser)
    args = parser.parse_args(argv)
    if args.tasks < 1:
        parser.error("--tasks must be >= 1")
    return main_wrapper("hello_tasks", lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
