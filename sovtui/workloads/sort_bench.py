"""Sort benchmark entrypoint: the sovtui sample sort vs numpy.sort and Ray Data's Dataset.sort.

Timed for sovtui: sample + partition + exchange + merge (generation and verification are not).
numpy.sort runs in this driver process on the same keys (gathering them is not timed); Ray Data
sorts the same blocks, already in the object store. sovtui and numpy runs alternate so that both
see the same background load; each reports its best of --repeat.

Usage: python -m sovtui.workloads.sort_bench --keys 20000000 --baselines
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import ray

from sovtui.workloads._common import (
    add_ray_options,
    alive_nodes,
    cluster_cpus,
    init_ray,
    load_average,
    main_wrapper,
    worker_niceness,
)
from sovtui.workloads._metrics import emit
from sovtui.workloads._store import StorePeak, wait_store_below
from sovtui.workloads.sample_sort import combine_checksums, generate, sample_sort, verify

WORKLOAD = "sort"


# ---------------------------------------------------------------- baselines


def numpy_baseline(blocks: list) -> tuple[float, np.ndarray]:
    """Single-process np.sort of all keys; gathering them into one array is not timed."""
    keys = np.concatenate(ray.get(blocks))
    start = time.perf_counter()
    result = np.sort(keys, kind="quicksort")
    return time.perf_counter() - start, result


def ray_data_baseline(blocks: list) -> tuple[float, int]:
    """Ray Data's Dataset.sort on the same blocks (already in the store: from_numpy_refs)."""
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    start = time.perf_counter()
    dataset = ray.data.from_numpy_refs(blocks).sort("data").materialize()
    seconds = time.perf_counter() - start
    count = dataset.count()
    del dataset
    return seconds, count


def _rate(keys: int, seconds: float) -> float:
    return keys / seconds if seconds > 0 else 0.0


def _generate_input(args, parts: int, step: int) -> tuple[list, tuple[int, int, int]]:
    # Frees are asynchronous: wait for earlier runs' objects to go so they don't count as ours.
    wait_store_below(args.store_floor)
    start = time.perf_counter()
    blocks, sums = generate(args.keys, parts, args.seed, args.max_key)
    expected = combine_checksums(ray.get(sums))
    ray.wait(blocks, num_returns=len(blocks), fetch_local=False)
    seconds = time.perf_counter() - start
    print(f"generate: {seconds:.3f} s (not timed)")
    emit(WORKLOAD, "generate", step=step, seconds=seconds, keys=args.keys)
    return blocks, expected


def _timed_sovtui_run(blocks, parts, args, task_cpus, step, data_bytes) -> dict:
    def report(name: str, seconds: float) -> None:
        emit(WORKLOAD, name, step=step, seconds=seconds, method="sovtui")

    with StorePeak() as store:
        result = sample_sort(blocks, parts, args.seed, task_cpus, on_phase=report, consume=True)
    rate = _rate(args.keys, result.seconds)
    # W: all task compute plus driver serial work; D: longest task of each barrier-separated
    # phase plus the serial work (the critical path through the phase DAG).
    work = sum(sum(v) for v in result.task_seconds.values()) + result.serial_seconds
    depth = result.serial_seconds + sum(max(v) for v in result.task_seconds.values() if v)
    outcome = {
        "method": "sovtui",
        "seconds": result.seconds,
        "keys_per_s": rate,
        "phases": result.phases,
        "task_seconds": result.task_seconds,
        "work_s": work,
        "depth_s": depth,
        "store_peak_bytes": store.peak,
        "store_peak_ratio": store.peak / data_bytes if data_bytes else 0.0,
    }
    phase_text = ", ".join(f"{k} {v:.3f}s" for k, v in result.phases.items())
    print(
        f"run {step + 1}/{args.repeat}: sovtui sort {result.seconds:.3f} s = "
        f"{rate / 1e6:.2f} Mkeys/s ({phase_text}); store peak {store.peak / 2**20:.1f} MiB"
    )
    emit(WORKLOAD, "run", step=step, **outcome)
    outcome["outputs"] = result.outputs
    return outcome


# ---------------------------------------------------------------- entrypoint


def _int_list(text: str) -> list[int]:
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError("worker counts must be >= 1")
    return values


def scaling_study(args: argparse.Namespace, cpus: int) -> None:
    """Same task graph (P fixed) at each worker count p; concurrency capped by CPUs per task."""
    counts = sorted({min(p, cpus) for p in args.scaling})
    parts = args.partitions or max(counts)
    for workers in counts:
        best = None
        for step in range(args.repeat):
            blocks, _ = _generate_input(args, parts, step)
            outcome = _timed_sovtui_run(blocks, parts, args, cpus / workers, step, args.keys * 8)
            del blocks, outcome["outputs"]
            if best is None or outcome["seconds"] < best["seconds"]:
                best = outcome
        assert best is not None
        print(
            f"scaling: {workers} worker(s): {best['seconds']:.3f} s "
            f"(W {best['work_s']:.3f} s, D {best['depth_s']:.3f} s)"
        )
        emit(
            WORKLOAD,
            "scaling",
            workers=workers,
            partitions=parts,
            seconds=best["seconds"],
            keys_per_s=best["keys_per_s"],
            work_s=best["work_s"],
            depth_s=best["depth_s"],
            task_seconds=best["task_seconds"],
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sort_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000, help="number of int64 keys")
    parser.add_argument(
        "--partitions", type=int, default=None, help="P (default: the cluster's CPUs)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="run at most this many tasks at once (scaling study; default: no cap)",
    )
    parser.add_argument(
        "--scaling",
        type=_int_list,
        default=None,
        help="comma-separated worker counts for a scaling study, e.g. 1,2,4 (capped at CPUs)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-key", type=int, default=None, help="draw keys in [0, MAX] (dups)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs; the best is reported")
    parser.add_argument("--baselines", action="store_true", help="also time numpy and Ray Data")
    parser.add_argument("--no-numpy", action="store_true", help="skip the numpy baseline")
    parser.add_argument("--no-ray-data", action="store_true", help="skip the Ray Data baseline")
    add_ray_options(parser)
    args = parser.parse_args(argv)
    if args.keys < 0:
        parser.error("--keys must be >= 0")
    if args.partitions is not None and args.partitions < 1:
        parser.error("--partitions must be >= 1")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be >= 1")
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return args


def run(args: argparse.Namespace) -> int:
    init_ray(args)
    cpus = cluster_cpus()
    parts = args.partitions or cpus
    workers = min(args.workers or cpus, cpus)
    # Capping concurrency without changing the task graph: each task asks for cpus/workers CPUs.
    task_cpus = cpus / workers
    data_bytes = args.keys * 8
    print(
        f"sample sort: {args.keys:,} int64 keys ({data_bytes / 2**20:.1f} MiB), "
        f"{parts} partitions, {workers} concurrent task(s) on {cpus} CPU(s), "
        f"{alive_nodes()} node(s), Ray {ray.__version__}"
    )
    emit(
        WORKLOAD,
        "start",
        worker_niceness=worker_niceness(),
        load_average=load_average(),
        keys=args.keys,
        partitions=parts,
        workers=workers,
        cpus=cpus,
        nodes=alive_nodes(),
        ray_version=ray.__version__,
        data_bytes=data_bytes,
    )

    args.store_floor = StorePeak.read() + 8 * 2**20
    # Every timed run gets freshly generated (identical, seeded) keys and consumes them, so the
    # store holds input + buckets, then buckets + output: about 2x the data, never 3x.
    # sovtui and numpy runs alternate, so that both see the same background load on a shared box.
    best_sovtui: dict | None = None
    numpy_times: list[float] = []
    do_numpy = args.baselines and not args.no_numpy
    for step in range(args.repeat):
        blocks, expected = _generate_input(args, parts, step)
        outcome = _timed_sovtui_run(blocks, parts, args, task_cpus, step, data_bytes)
        del blocks
        if step == args.repeat - 1:
            ok, message, sizes = verify(outcome["outputs"], expected)
            print(f"verify: {'OK' if ok else 'FAILED'}: {message}; partition sizes {sizes}")
            emit(WORKLOAD, "verify", ok=ok, message=message, partition_sizes=sizes)
            if not ok:
                print(f"sort_bench: FAILED: output is wrong: {message}", file=sys.stderr)
                return 1
        del outcome["outputs"]  # free this run's output before the next one is measured
        if best_sovtui is None or outcome["seconds"] < best_sovtui["seconds"]:
            best_sovtui = outcome
        if do_numpy:
            blocks, _ = _generate_input(args, parts, step)
            seconds, reference = numpy_baseline(blocks)
            del reference, blocks
            numpy_times.append(seconds)
            emit(
                WORKLOAD,
                "run",
                step=step,
                method="numpy",
                seconds=seconds,
                keys_per_s=_rate(args.keys, seconds),
            )
    assert best_sovtui is not None
    emit(WORKLOAD, "result", keys=args.keys, partitions=parts, workers=workers, **best_sovtui)
    print(
        f"sovtui sample sort (best of {args.repeat}): {best_sovtui['seconds']:.3f} s = "
        f"{best_sovtui['keys_per_s'] / 1e6:.2f} Mkeys/s; object store peak "
        f"{best_sovtui['store_peak_ratio']:.2f}x the data"
    )
    if numpy_times:
        seconds = min(numpy_times)
        rate = _rate(args.keys, seconds)
        print(
            f"numpy.sort, 1 process (best of {args.repeat}): {seconds:.3f} s = "
            f"{rate / 1e6:.2f} Mkeys/s"
        )
        emit(WORKLOAD, "result", method="numpy", seconds=seconds, keys_per_s=rate, keys=args.keys)
    if args.baselines and not args.no_ray_data:
        blocks, _ = _generate_input(args, parts, args.repeat)
        seconds, count = ray_data_baseline(blocks)
        del blocks
        rate = _rate(args.keys, seconds)
        if count != args.keys:
            print(f"sort_bench: FAILED: Ray Data returned {count} rows", file=sys.stderr)
            return 1
        print(f"ray.data Dataset.sort: {seconds:.3f} s = {rate / 1e6:.2f} Mkeys/s")
        emit(
            WORKLOAD, "result", method="ray_data", seconds=seconds, keys_per_s=rate, keys=args.keys
        )
    if args.scaling:
        scaling_study(args, cpus)
    print("timed: sample + partition + exchange + merge (generation and verification excluded)")
    emit(WORKLOAD, "done", ok=True, load_average_end=load_average())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return main_wrapper("sort_bench", lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
