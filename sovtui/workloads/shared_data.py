"""One large numpy array put in the object store once, summed in chunks by many tasks.

Tasks get the array zero-copy from shared memory (read-only): only a reference is shipped.
Usage: python -m sovtui.workloads.shared_data --size 10000000 --chunks 8
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import ray

from sovtui.workloads._common import add_ray_options, init_ray, main_wrapper
from sovtui.workloads._metrics import emit


@ray.remote
def chunk_sum(data: np.ndarray, start: int, stop: int) -> int:
    return int(data[start:stop].sum(dtype=np.int64))


def run(args: argparse.Namespace) -> int:
    init_ray(args)
    data = np.arange(args.size, dtype=np.int64)
    start = time.perf_counter()
    ref = ray.put(data)  # put once; passing `ref` to every task avoids one copy per task
    bounds = np.linspace(0, args.size, args.chunks + 1, dtype=np.int64)
    partials = ray.get(
        [chunk_sum.remote(ref, int(lo), int(hi)) for lo, hi in itertools.pairwise(bounds)]
    )
    seconds = time.perf_counter() - start
    total = sum(partials)
    expected = args.size * (args.size - 1) // 2
    print(
        f"shared_data: {data.nbytes / 2**20:.1f} MiB array, {args.chunks} chunks, "
        f"sum {total} (expected {expected}) in {seconds:.3f} s"
    )
    emit(
        "shared_data",
        "result",
        size=args.size,
        chunks=args.chunks,
        sum=total,
        expected=expected,
        seconds=seconds,
        ok=total == expected,
    )
    if total != expected:
        print("shared_data: FAILED: sum differs")
        return 1
    print("shared_data: OK, sum verified")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shared_data", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000, help="array length (int64)")
    parser.add_argument("--chunks", type=int, default=8, help="how many summing tasks")
    add_ray_options(parser)
    args = parser.parse_args(argv)
    if args.size < 1 or args.chunks < 1:
        parser.error("--size and --chunks must be >= 1")
    return main_wrapper("shared_data", lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
