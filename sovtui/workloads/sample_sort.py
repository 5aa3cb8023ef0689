"""Distributed sample sort of random int64 keys with Ray tasks and the object store.

Phases:
  generate   P tasks make seeded random blocks (NOT timed: it is the input, not the sort)
  sample     P tasks draw a random sample from their block; the driver picks P-1 splitters
  partition  P tasks split their block into P buckets by rank (num_returns=P: one object each)
  merge      P tasks each take bucket j of every block (the exchange), concatenate, sort in place
Output: P sorted arrays in the object store; partition j holds keys in [splitter j-1, splitter j).

Why this shape is fast on a small machine: keys are sorted exactly once, in arrays of N/P keys.
Partitioning is numpy's SIMD selection (`ndarray.partition`, the first level of its quicksort)
around each splitter's rank, log2(P) selects instead of P boolean-mask passes: 5x faster for
P=2 on AVX2; the ranks (keys below each splitter) are counted while the block is copied out of
the store, on each chunk while it is in cache, so counting costs no pass of its own. The
merges are submitted with the partitions (no driver barrier in between: Ray starts each merge
as soon as its buckets exist). Blocks and buckets are read zero-copy from shared memory
(read-only); the copies are one per phase: the partition's output, the concatenation a sort
needs anyway, and Ray's copy of each returned array into the store.
The benchmark entrypoint is sort_bench; this module is the algorithm alone.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import ray

from sovtui.workloads._store import StorePeak, wait_store_below

# Up to this many buckets, log2(P) levels of count + SIMD select beat one radix argsort pass.
RANK_PARTITION_MAX = 64
# Up to this many splitters, the copy out of the store also counts the keys below each one.
FUSED_COUNT_MAX = 8
COPY_CHUNK_KEYS = 65_536  # 512 KiB: a chunk just copied is still in L2 when it is counted
SAMPLES_PER_BLOCK = 4096
GATE_TIMEOUT_S = 5.0  # a merge stores its output after this long even if the input lingers
# The driver polls the store's bytes this often while the merges sort: each read costs ~1.2 ms
# of CPU (driver + raylet), taken from the sorting workers on a small machine; every 5 ms that
# was a sixth of a core. Ray frees in batches (every 100 ms at best), so 20 ms loses little.
GATE_POLL_S = 0.02
# A worker keeps its buffer for the next task (its partition, then a merge, then the next
# run's), and lets it go after this long unused: an idle worker on a long-lived cluster should
# not sit on gigabytes.
SCRATCH_IDLE_S = 30.0
SCRATCH_HEADROOM = 8  # allocate 1/8 more: a merge's partition is a little larger than a block

_scratch_lock = threading.Lock()
_scratch_buffer: np.ndarray | None = None
_scratch_used = 0.0  # time.monotonic() of the last use
_scratch_reaper: threading.Thread | None = None


def _scratch(keys: int) -> np.ndarray:
    """A writable int64 array of `keys` keys, reused by the next partition or merge task in
    this worker process. Fresh memory costs page faults and zeroing (~0.3 s per GB here, a
    quarter of a sort's time); a task's results are copied into the object store before it
    ends, so reuse is safe. The headroom is never touched unless used, so it costs no memory."""
    global _scratch_buffer, _scratch_used, _scratch_reaper
    with _scratch_lock:
        _scratch_used = time.monotonic()
        if _scratch_buffer is None or _scratch_buffer.size < keys:
            _scratch_buffer = None  # let the old one go before the new one is made
            _scratch_buffer = np.empty(keys + keys // SCRATCH_HEADROOM, dtype=np.int64)
        if _scratch_reaper is None or not _scratch_reaper.is_alive():
            _scratch_reaper = threading.Thread(target=_reap_scratch, daemon=True)
            _scratch_reaper.start()
        return _scratch_buffer[:keys]


def _reap_scratch() -> None:
    """Drop the buffer once it has gone unused for SCRATCH_IDLE_S (a task still holding a
    view keeps its memory alive until it ends)."""
    global _scratch_buffer
    while True:
        with _scratch_lock:
            idle = time.monotonic() - _scratch_used
            if idle >= SCRATCH_IDLE_S:
                _scratch_buffer = None
                return
        time.sleep(min(1.0, SCRATCH_IDLE_S - idle + 0.01))


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
    """Bucket j = the keys of `block` in [splitters[j-1], splitters[j]): views of one copy,
    which lives in this process's scratch buffer until the next call."""
    parts = splitters.size + 1
    if parts == 1:
        return [np.array(block, copy=True)]
    if parts <= RANK_PARTITION_MAX:
        work = _scratch(block.size)  # the store's block is read-only
        ranks = _copy_and_rank(block, work, splitters)
        bounds = _rank_partition(work, splitters, ranks)
        return [work[bounds[j] : bounds[j + 1]] for j in range(parts)]
    # Bucket ids (uint8/uint16) -> stable argsort is a radix sort in numpy: O(N), no comparisons.
    ids = np.searchsorted(splitters, block, side="right")
    ids = ids.astype(np.uint8 if parts <= 256 else np.uint16)
    order = np.argsort(ids, kind="stable")
    grouped = block[order]
    del order
    counts = np.bincount(ids, minlength=parts)
    return np.split(grouped, np.cumsum(counts)[:-1])


def _copy_and_rank(block: np.ndarray, work: np.ndarray, splitters: np.ndarray) -> list[int] | None:
    """Copy `block` into `work`; with few splitters, also count the keys below each one while
    each chunk is still in cache (a count after the copy would read the data again from memory).
    Returns those counts (the splitters' ranks in the block), or None when not counted."""
    if splitters.size > FUSED_COUNT_MAX:
        np.copyto(work, block)
        return None
    ranks = [0] * splitters.size
    below = np.empty(min(COPY_CHUNK_KEYS, block.size), dtype=bool)
    cuts = splitters.tolist()
    for lo in range(0, block.size, COPY_CHUNK_KEYS):
        chunk = work[lo : lo + COPY_CHUNK_KEYS]
        np.copyto(chunk, block[lo : lo + COPY_CHUNK_KEYS])
        flags = below[: chunk.size]
        for index, cut in enumerate(cuts):
            np.less(chunk, cut, out=flags)
            ranks[index] += int(np.count_nonzero(flags))
    return ranks


def _rank_partition(
    work: np.ndarray, splitters: np.ndarray, ranks: list[int] | None = None
) -> list[int]:
    """Reorder `work` in place so that bucket j is work[bounds[j]:bounds[j+1]]; returns bounds.

    The keys below splitter s are exactly the k smallest, where k counts them: selecting the
    k-th smallest (numpy's SIMD quickselect) moves them to the front, whatever the duplicates.
    Halving the splitter range each level makes it log2(P) passes over the data. `ranks`, when
    given, are the counts of keys below each splitter in all of `work` (the splitters ascend, so
    a range starting at `lo` holds all keys below its splitters but the `lo` before it): no
    counting pass is needed then.
    """
    parts = splitters.size + 1
    bounds = [0] * (parts + 1)
    bounds[parts] = work.size
    pending = [(0, work.size, 0, parts - 1)]  # (lo, hi, first splitter, last splitter + 1)
    while pending:
        lo, hi, first, last = pending.pop()
        if first >= last:
            continue
        mid = (first + last) // 2
        view = work[lo:hi]
        if ranks is not None:
            below = ranks[mid] - lo
        else:
            below = int(np.count_nonzero(view < splitters[mid])) if view.size else 0
        if 0 < below < view.size:
            view.partition(below)
        bounds[mid + 1] = lo + below
        pending.append((lo, lo + below, first, mid))
        pending.append((lo + below, hi, mid + 1, last))
    return bounds


@ray.remote
def _partition(block: np.ndarray, splitters: np.ndarray):
    began, start, cpu = time.time(), time.perf_counter(), time.thread_time()
    buckets = _partition_block(block, splitters)
    stats = (time.perf_counter() - start, began, time.time(), time.thread_time() - cpu)
    return (*buckets, stats)


@ray.remote(num_returns=2)
def _merge(gate: str | None, *buckets: np.ndarray):
    began, start, cpu = time.time(), time.perf_counter(), time.thread_time()
    # The exchange: Ray resolved the bucket refs to zero-copy views (local) or pulled them over the
    # network (remote); concatenating is the one copy we need, since store objects are read-only.
    merged = _scratch(sum(bucket.size for bucket in buckets))
    if buckets:
        np.concatenate(buckets, out=merged)
    gathered = time.perf_counter()
    merged.sort(kind="quicksort")  # numpy's SIMD quicksort; in place, no extra buffer
    done, cpu = time.perf_counter(), time.thread_time() - cpu
    if gate is not None:
        _wait_gate(gate)
    held = time.perf_counter() - done  # sorted, waiting for the input to leave the store
    return merged, (gathered - start, done - gathered, began, time.time(), held, cpu)


def _wait_gate(key: str) -> None:
    """Hold the output (kept in this worker's memory) until the driver says the consumed input
    has left the object store: its peak then stays at 2x the data, however late Ray frees."""
    from ray.experimental.internal_kv import _internal_kv_exists

    deadline = time.monotonic() + GATE_TIMEOUT_S
    while time.monotonic() < deadline and not _internal_kv_exists(key):
        time.sleep(GATE_POLL_S / 4)  # a GCS read: far cheaper than the driver's store read


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
    # Where the wall time goes besides compute (seconds): from the splitters to the first
    # partition task starting, from the last partition's end to the first merge starting, and
    # from the last merge's end (its output stored) to the driver seeing it.
    lags: dict[str, float] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # CPU time of the partition and merge tasks, summed


def pick_splitters(samples: np.ndarray, parts: int) -> np.ndarray:
    """P-1 splitters at evenly spaced quantiles of the sorted sample."""
    if parts <= 1:
        return np.empty(0, dtype=np.int64)
    if samples.size == 0:
        return np.zeros(parts - 1, dtype=np.int64)
    ordered = np.sort(samples)
    picks = (np.arange(1, parts) * ordered.size) // parts
    return ordered[picks]


def generate(
    keys: int,
    parts: int,
    seed: int,
    max_key: int | None = None,
    task_options: dict[str, Any] | None = None,
):
    """Submit the generator tasks; returns (block refs, checksum refs)."""
    generator = _generate.options(**task_options) if task_options else _generate
    # Same split as np.array_split: the first keys % parts blocks get one extra key.
    sizes = [keys // parts + (1 if i < keys % parts else 0) for i in range(parts)]
    blocks, sums = [], []
    for index, size in enumerate(sizes):
        refs: Any = generator.remote(size, seed, index, max_key)  # num_returns=2: a pair
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
    task_options: dict[str, Any] | None = None,
) -> SortRun:
    """Sort the keys held in `blocks` (ObjectRefs of int64 arrays) into `parts` partitions.

    Everything this function creates is freed as soon as the next phase no longer needs it.
    With `consume=True` the input list is emptied once submitted (like an in-place sort), so
    if the caller holds no other refs the store peaks at about 2x the data instead of 3x.
    `task_options` go to every task (a runtime_env, say: the benchmark's numpy settings).

    The merges are submitted right after the partitions, so the only barrier the driver waits
    at is the splitter choice; partition and merge times come from the tasks' own clocks
    (partition: until the last partition task ended; merge: from then to the end).
    """
    opts = {"num_cpus": task_cpus, **(task_options or {})}
    phases: dict[str, float] = {}
    tasks: dict[str, list[float]] = {}
    # Ray frees a consumed block in batches (every `free_objects_period_milliseconds`, 1 s by
    # default), so merges could store their outputs while the input still sits in the store
    # (3x the data). They sort at once but store their output only after this gate opens:
    # when the store is back to its level before the sort (input gone, buckets there).
    gate = f"sovtui-sort-gate-{uuid.uuid4().hex}" if consume else None
    store_before = StorePeak.read() if consume else 0
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
    wall_t2 = time.time()
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
    if consume:
        blocks.clear()  # the pending partition tasks hold the blocks until they are done
    partition_stats = [row[-1] for row in bucket_rows]
    outputs, stats = [], []
    for j in range(parts):
        pair: Any = _merge.options(max_retries=0, **opts).remote(
            gate, *[row[j] for row in bucket_rows]
        )
        merged, stat = pair
        outputs.append(merged)
        stats.append(stat)
    # Drop our bucket refs now: each bucket is freed as soon as its merge task finishes.
    del bucket_rows, splitter_ref
    partition_report = ray.get(partition_stats)
    del partition_stats
    partition_end = max((r[2] for r in partition_report), default=wall_t2)
    phases["partition"] = max(0.0, partition_end - wall_t2)
    tasks["partition"] = [r[0] for r in partition_report]
    _phase(on_phase, "partition", phases["partition"])
    free_wait = 0.0
    if gate is not None:
        from ray.experimental.internal_kv import _internal_kv_put

        waited = time.perf_counter()
        slack = 2**16 + store_before // 200  # small objects (splitters, stats) come and go
        wait_store_below(store_before + slack, timeout_s=GATE_TIMEOUT_S, period_s=GATE_POLL_S)
        free_wait = time.perf_counter() - waited
        _internal_kv_put(gate, b"1")
    try:
        merge_stats = ray.get(stats)
        ray.wait(outputs, num_returns=len(outputs), fetch_local=False)
    finally:
        if gate is not None:
            from ray.experimental.internal_kv import _internal_kv_del

            _internal_kv_del(gate)
    t4 = time.perf_counter()
    total = t4 - start
    phases["merge"] = max(0.0, total - phases["sample"] - phases["partition"])
    tasks["exchange"] = [s[0] for s in merge_stats]
    tasks["local_sort"] = [s[1] for s in merge_stats]
    # CPU time the partition and merge tasks got (not Ray's copies of their results)
    cpu = sum(r[3] for r in partition_report) + sum(s[5] for s in merge_stats)
    _phase(on_phase, "merge", phases["merge"])
    wall_end = time.time()
    lags = {
        "partition_start": min((r[1] for r in partition_report), default=wall_t2) - wall_t2,
        "merge_start": min((s[2] for s in merge_stats), default=partition_end) - partition_end,
        "merge_return": wall_end - max((s[3] for s in merge_stats), default=wall_end),
        "free_wait": free_wait,  # waiting for Ray to free the consumed input (see the gate)
        # the part of that wait the run paid for: merges done sorting, holding their output
        "gate_hold": max((s[4] for s in merge_stats), default=0.0),
    }
    return SortRun(outputs, total, phases, tasks, serial, lags=lags, cpu_seconds=cpu)


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


def verify(
    outputs: list, expected: tuple[int, int, int], task_options: dict[str, Any] | None = None
) -> tuple[bool, str, list[int]]:
    """Check global order (within and across partitions), count and checksum."""
    checker = _verify.options(**task_options) if task_options else _verify
    reports = ray.get([checker.remote(part) for part in outputs])
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


def sort_keys(keys: np.ndarray, parts: int, consume: bool = False) -> np.ndarray:
    """Convenience for tests and small callers: sort an in-memory array with the sample sort."""
    chunks = np.array_split(keys.astype(np.int64, copy=False), max(parts, 1))
    blocks = [ray.put(chunk) for chunk in chunks]
    run = sample_sort(blocks, max(parts, 1), consume=consume)
    result = ray.get(run.outputs)
    return np.concatenate(result) if result else np.empty(0, dtype=np.int64)
