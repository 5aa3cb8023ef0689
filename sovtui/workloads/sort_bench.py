"""Distributed sample sort of random int64 keys with Ray tasks and the object store.

Phases (driver waits at a barrier between them, so each is timed on its own):
  generate   P tasks make seeded random blocks (NOT timed: it is the input, not the sort)
  sample     P tasks draw a random sample from their block; the driver picks P-1 splitters
  partition  P tasks split their block into P buckets (num_returns=P: one object per bucket)
  merge      P tasks each fetch bucket j of every block (the exchange), concatenate, sort in place
Output: P sorted arrays in the object store; partition j holds keys in [splitter j-1, splitter j).

Why this shape is fast on a small machine: keys are sorted exactly once, in arrays of N/P keys,
and the partition step is O(N) (no local pre-sort). Blocks are read zero-copy from shared memory
(read-only); the only copies are the bucket extraction and the concatenation a sort needs anyway.

Usage: python -m sovtui.workloads.sort_bench --keys 20000000 --baselines
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

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

WORKLOAD = "sort"
MASK_PARTITION_MAX = 4  # up to this many buckets, P boolean-mask passes beat a radix argsort
SAMPLES_PER_BLOCK = 4096


# ---------------------------------------------------------------- tasks (run on the cluster)


@ray.remote(num_returns=2)
def _generate(n: int, seed: int, index: int, max_key: int | None):
    rng = np.random.default_rng([seed, index])
    if max_key is None:
        info = np.iinfo(np.int64)
        keys = rng.integers(info.min, info.max, size=n, dtype=np.int64, endpoint=True)
    else:
        keys = rng.integers(0, max_key, size=n, dtype=np.int64, endpoint=True)
    return keys, _checksum(keys)


def _checksum(keys: np.ndarray) -> tuple[int, int, int]:
    """Order-independent fingerprint: (count, sum mod 2**64, xor of all keys)."""
    as_unsigned = keys.view(np.uint64)
    total = int(np.add.reduce(as_unsigned, dtype=np.uint64)) if keys.size else 0
    xor = int(np.bitwise_xor.reduce(as_unsigned)) if keys.size else 0
    return int(keys.size), total, xor


@ray.remote
def _sample(block: np.ndarray, count: int, seed: int) -> np.ndarray:
    if block.size == 0:
        return np.empty(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return block[rng.integers(0, block.size, size=min(count, block.size))]


def _partition_block(block: np.ndarray, splitters: np.ndarray) -> list[np.ndarray]:
    parts = splitters.size + 1
    if parts == 1:
        return [np.array(block, copy=True)]
    if parts <= MASK_PARTITION_MAX:
        # A few linear compare+compress passes; cheaper than computing bucket ids for tiny P.
        out = []
        lower = None
        for upper in [*splitters.tolist(), None]:
            if lower is None:
                mask = block < upper
            elif upper is None:
                mask = block >= lower
            else:
                mask = (block >= lower) & (block < upper)
            out.append(block[mask])
            lower = upper
        return out
    # Bucket ids (uint8/uint16) -> stable argsort is a radix sort in numpy: O(N), no comparisons.
    ids = np.searchsorted(splitters, block, side="right")
    ids = ids.astype(np.uint8 if parts <= 256 else np.uint16)
    order = np.argsort(ids, kind="stable")
    grouped = block[order]
    del order
    counts = np.bincount(ids, minlength=parts)
    return np.split(grouped, np.cumsum(counts)[:-1])


@ray.remote
def _partition(block: np.ndarray, splitters: np.ndarray):
    start = time.perf_counter()
    buckets = _partition_block(block, splitters)
    return (*buckets, time.perf_counter() - start)


@ray.remote(num_returns=2)
def _merge(*buckets: np.ndarray):
    start = time.perf_counter()
    # The exchange: Ray resolved the bucket refs to zero-copy views (local) or pulled them over the
    # network (remote); concatenating is the one copy we need, since store objects are read-only.
    merged = np.concatenate(buckets) if buckets else np.empty(0, dtype=np.int64)
    gathered = time.perf_counter()
    merged.sort(kind="quicksort")  # numpy's SIMD introsort; in place, no extra buffer
    done = time.perf_counter()
    return merged, (gathered - start, done - gathered)


@ray.remote
def _verify(part: np.ndarray):
    ordered = bool(np.all(part[1:] >= part[:-1])) if part.size > 1 else True
    first = int(part[0]) if part.size else None
    last = int(part[-1]) if part.size else None
    return ordered, first, last, _checksum(part)


# ---------------------------------------------------------------- driver side


@dataclass
class SortRun:
    outputs: list  # ObjectRefs of the sorted partitions, in key order
    seconds: float  # sample + partition + merge, wall clock at the driver
    phases: dict[str, float]  # wall seconds per phase
    task_seconds: dict[str, list[float]]  # per-task compute seconds per phase (for W and D)
    serial_seconds: float  # driver-side work between phases (splitter choice)
    partition_sizes: list[int] = field(default_factory=list)


def pick_splitters(samples: np.ndarray, parts: int) -> np.ndarray:
    """P-1 splitters at evenly spaced quantiles of the sorted sample."""
    if parts <= 1:
        return np.empty(0, dtype=np.int64)
    if samples.size == 0:
        return np.zeros(parts - 1, dtype=np.int64)
    ordered = np.sort(samples)
    picks = (np.arange(1, parts) * ordered.size) // parts
    return ordered[picks]


def generate(keys: int, parts: int, seed: int, max_key: int | None = None):
    """Submit the generator tasks; returns (block refs, checksum refs)."""
    # Same split as np.array_split: the first keys % parts blocks get one extra key.
    sizes = [keys // parts + (1 if i < keys % parts else 0) for i in range(parts)]
    blocks, sums = [], []
    for index, size in enumerate(sizes):
        refs: Any = _generate.remote(size, seed, index, max_key)  # num_returns=2: a pair
        blocks.append(refs[0])
        sums.append(refs[1])
    return blocks, sums


def sample_sort(
    blocks: list,
    parts: int,
    seed: int = 0,
    task_cpus: float = 1.0,
    on_phase=None,
    consume: bool = False,
) -> SortRun:
    """Sort the keys held in `blocks` (ObjectRefs of int64 arrays) into `parts` partitions.

    Everything this function creates is freed as soon as the next phase no longer needs it.
    With `consume=True` the input list is emptied once partitioned (like an in-place sort), so
    if the caller holds no other refs the store peaks at about 2x the data instead of 3x.
    """
    opts = {"num_cpus": task_cpus}
    phases: dict[str, float] = {}
    tasks: dict[str, list[float]] = {}
    start = time.perf_counter()

    t0 = time.perf_counter()
    sample_refs = [
        _sample.options(**opts).remote(block, SAMPLES_PER_BLOCK, seed + i)
        for i, block in enumerate(blocks)
    ]
    samples = ray.get(sample_refs)
    del sample_refs
    t1 = time.perf_counter()
    splitters = pick_splitters(np.concatenate(samples) if samples else np.empty(0), parts)
    t2 = time.perf_counter()
    phases["sample"] = t2 - t0
    serial = t2 - t1
    _phase(on_phase, "sample", t2 - t0)

    splitter_ref = ray.put(splitters)  # one copy shared by every partition task
    # Comprehensions, not loops: a loop variable would keep the last block alive after clear().
    # Ray pins a retryable task's arguments while its outputs live (to re-run it if a node
    # dies). With retries off, a consumed input is freed after partitioning and every bucket
    # as soon as its merge is done: 2x the data at peak instead of 3x, at the price of failing
    # (not silently recomputing) if a worker dies mid-sort.
    partition_opts = {**opts, "max_retries": 0} if consume else opts
    bucket_rows: list[Any] = [
        _partition.options(num_returns=parts + 1, **partition_opts).remote(block, splitter_ref)
        for block in blocks
    ]
    tasks["partition"] = ray.get([row[-1] for row in bucket_rows])
    if consume:
        blocks.clear()
    t3 = time.perf_counter()
    phases["partition"] = t3 - t2
    _phase(on_phase, "partition", t3 - t2)

    outputs, stats = [], []
    for j in range(parts):
        pair: Any = _merge.options(max_retries=0, **opts).remote(*[row[j] for row in bucket_rows])
        merged, stat = pair
        outputs.append(merged)
        stats.append(stat)
    # Drop our bucket refs now: each bucket is freed as soon as its merge task finishes.
    del bucket_rows, splitter_ref
    merge_stats = ray.get(stats)
    ray.wait(outputs, num_returns=len(outputs), fetch_local=False)
    t4 = time.perf_counter()
    phases["merge"] = t4 - t3
    tasks["exchange"] = [s[0] for s in merge_stats]
    tasks["local_sort"] = [s[1] for s in merge_stats]
    _phase(on_phase, "merge", t4 - t3)
    return SortRun(outputs, t4 - start, phases, tasks, serial)


def _phase(callback, name: str, seconds: float) -> None:
    if callback is not None:
        callback(name, seconds)


def combine_checksums(parts: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    count, total, xor = 0, 0, 0
    for c, s, x in parts:
        count += c
        total = (total + s) % (1 << 64)
        xor ^= x
    return count, total, xor


def verify(outputs: list, expected: tuple[int, int, int]) -> tuple[bool, str, list[int]]:
    """Check global order (within and across partitions), count and checksum."""
    reports = ray.get([_verify.remote(part) for part in outputs])
    sizes = [r[3][0] for r in reports]
    if not all(r[0] for r in reports):
        return False, "a partition is not sorted", sizes
    previous = None
    for _ordered, first, last, _ in reports:
        if first is None:
            continue
        if previous is not None and first < previous:
            return False, "partitions overlap (boundary out of order)", sizes
        previous = last
    got = combine_checksums([r[3] for r in reports])
    if got[0] != expected[0]:
        return False, f"count {got[0]} != input count {expected[0]}", sizes
    if got != expected:
        return False, "checksum differs from the input's", sizes
    return True, "globally sorted, same count and checksum as the input", sizes


def sort_keys(keys: np.ndarray, parts: int) -> np.ndarray:
    """Convenience for tests and small callers: sort an in-memory array with the sample sort."""
    chunks = np.array_split(keys.astype(np.int64, copy=False), max(parts, 1))
    blocks = [ray.put(chunk) for chunk in chunks]
    run = sample_sort(blocks, max(parts, 1))
    result = ray.get(run.outputs)
    return np.concatenate(result) if result else np.empty(0, dtype=np.int64)


class StorePeak:
    """Samples the cluster's object-store bytes in a thread; `peak` is the highest seen."""

    def __init__(self, period_s: float = 0.05) -> None:
        self.period_s = period_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def read() -> int:
        try:
            from ray._private.internal_api import get_memory_info_reply, get_state_from_address

            state = get_state_from_address(ray.get_runtime_context().gcs_address)
            reply = get_memory_info_reply(state)
            return int(reply.store_stats.object_store_bytes_used)
        except Exception:  # a private API: if it moves, report 0 rather than fail the benchmark
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.period_s)

    def sample(self) -> None:
        self.peak = max(self.peak, self.read())

    def __enter__(self) -> StorePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


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
    _wait_store_below(args.store_floor)
    start = time.perf_counter()
    blocks, sums = generate(args.keys, parts, args.seed, args.max_key)
    expected = combine_checksums(ray.get(sums))
    ray.wait(blocks, num_returns=len(blocks), fetch_local=False)
    seconds = time.perf_counter() - start
    print(f"generate: {seconds:.3f} s (not timed)")
    emit(WORKLOAD, "generate", step=step, seconds=seconds, keys=args.keys)
    return blocks, expected


def _wait_store_below(limit: int, timeout_s: float = 5.0) -> None:
    """Frees are asynchronous; wait so the next run's peak is not inflated by the last output."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and StorePeak.read() > limit:
        time.sleep(0.05)


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
