"""A stateful actor: one Counter called many times; its final count must equal the calls made.

Usage: python -m sovtui.workloads.counter_actor --calls 1000
"""

from __future__ import annotations

import argparse
import time

import ray

from sovtui.workloads._common import add_ray_options, init_ray, main_wrapper
from sovtui.workloads._metrics import emit


@ray.remote(num_cpus=0)  # an actor that only counts should not hold a CPU others could use
class Counter:
    def __init__(self) -> None:
        self.value = 0

    def increment(self, by: int = 1) -> int:
        self.value += by
        return self.value

    def get(self) -> int:
        return self.value


def run(args: argparse.Namespace) -> int:
    init_ray(args)
    counter = Counter.remote()  # type: ignore[attr-defined]
    start = time.perf_counter()
    # Calls from one caller to one actor execute in submission order, so the last reply is the
    # final count; gathering every reply also checks that each call ran exactly once.
    replies = ray.get([counter.increment.remote() for _ in range(args.calls)])
    final = ray.get(counter.get.remote())
    seconds = time.perf_counter() - start
    rate = args.calls / seconds if seconds > 0 else 0.0
    print(f"counter_actor: {args.calls} calls, final count {final}, {rate:,.0f} calls/s")
    emit(
        "counter_actor", "result", calls=args.calls, count=final, seconds=seconds, calls_per_s=rate
    )
    ray.kill(counter)
    if final != args.calls or replies != list(range(1, args.calls + 1)):
        print(f"counter_actor: FAILED: count {final} != calls {args.calls}")
        return 1
    print("counter_actor: OK, count equals calls")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="counter_actor", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="how many increments")
    add_ray_options(parser)
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls must be >= 1")
    return main_wrapper("counter_actor", lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
