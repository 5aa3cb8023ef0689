"""Sample sort correctness against numpy on a real (local) Ray."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = [pytest.mark.ray, pytest.mark.usefixtures("ray_session")]


def _sorted(keys: np.ndarray, parts: int) -> np.ndarray:
    from sovtui.workloads.sample_sort import sort_keys

    return sort_keys(keys, parts)


@pytest.mark.parametrize(
    ("name", "keys", "parts"),
    [
        ("duplicates", np.random.default_rng(1).integers(0, 5, 5000), 3),
        ("all_equal", np.full(1000, 7), 4),
        ("fewer_keys_than_partitions", np.array([5, -3, 9]), 8),
        ("empty", np.array([], dtype=np.int64), 3),
        ("one_partition", np.random.default_rng(2).integers(-100, 100, 999), 1),
        ("radix_path_many_partitions", np.random.default_rng(3).integers(-(2**62), 2**62, 9999), 9),
        ("extremes", np.array([np.iinfo(np.int64).max, np.iinfo(np.int64).min, 0] * 50), 2),
        ("rank_path_odd_partitions", np.random.default_rng(4).integers(-50, 50, 7777), 7),
        ("rank_path_most_partitions", np.random.default_rng(5).integers(0, 2**40, 20000), 64),
        ("radix_path_past_the_rank_limit", np.random.default_rng(6).integers(0, 9, 3000), 65),
    ],
)
def test_sort_matches_numpy(name: str, keys: np.ndarray, parts: int) -> None:
    keys = keys.astype(np.int64)
    result = _sorted(keys, parts)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, np.sort(keys), err_msg=name)


SPLITTER_CASES = [
    ("random", np.random.default_rng(7).integers(-(2**62), 2**62, 5000), [-(2**61), 0, 2**61]),
    ("duplicates_on_splitters", np.random.default_rng(8).integers(0, 4, 999), [1, 1, 2]),
    ("all_equal", np.full(500, 3), [3, 3, 3, 3]),
    ("all_below", np.arange(100), [1000, 2000]),
    ("all_above", np.arange(100), [-5, -1]),
    ("fewer_keys_than_partitions", np.array([4, 1]), [0, 1, 2, 3, 4, 5]),
    ("empty", np.array([], dtype=np.int64), [0, 1]),
    ("one_partition", np.array([3, 1, 2]), []),
    ("extremes", np.array([2**63 - 1, -(2**63), 0] * 9), [-(2**63), 2**63 - 1]),
]


@pytest.mark.parametrize("counting", ["fused_small_chunks", "fused", "separate"])
@pytest.mark.parametrize(("name", "keys", "splitters"), SPLITTER_CASES)
def test_partition_block_buckets_by_splitter(
    name: str,
    keys: np.ndarray,
    splitters: list[int],
    counting: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bucket j holds exactly the keys in [splitter j-1, splitter j), whatever the path: ranks
    counted while copying (in chunks, the last one partial) or counted level by level."""
    from sovtui.workloads import sample_sort
    from sovtui.workloads.sample_sort import _partition_block

    if counting == "fused_small_chunks":
        monkeypatch.setattr(sample_sort, "COPY_CHUNK_KEYS", 7)
    elif counting == "separate":
        monkeypatch.setattr(sample_sort, "FUSED_COUNT_MAX", -1)

    block = keys.astype(np.int64)
    block.setflags(write=False)  # as Ray hands it over from the store
    cuts = np.array(splitters, dtype=np.int64)
    buckets = _partition_block(block, cuts)
    assert len(buckets) == cuts.size + 1, name
    bounds = [None, *cuts.tolist(), None]
    for j, bucket in enumerate(buckets):
        lower, upper = bounds[j], bounds[j + 1]
        wanted = block[
            (block >= (lower if lower is not None else np.iinfo(np.int64).min))
            & ((block < upper) if upper is not None else True)
        ]
        np.testing.assert_array_equal(np.sort(bucket), np.sort(wanted), err_msg=f"{name} {j}")
    assert sum(b.size for b in buckets) == block.size


def test_copy_and_rank_counts_the_keys_below_each_splitter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sovtui.workloads import sample_sort

    monkeypatch.setattr(sample_sort, "COPY_CHUNK_KEYS", 10)
    block = np.random.default_rng(9).integers(-20, 20, 95).astype(np.int64)
    block.setflags(write=False)
    splitters = np.array([-20, -3, 0, 0, 7, 19], dtype=np.int64)
    work = np.empty_like(block)
    ranks = sample_sort._copy_and_rank(block, work, splitters)
    np.testing.assert_array_equal(work, block)
    assert ranks == [int(np.count_nonzero(block < s)) for s in splitters]
    monkeypatch.setattr(sample_sort, "FUSED_COUNT_MAX", 5)  # too many splitters: copy only
    assert sample_sort._copy_and_rank(block, np.empty_like(block), splitters) is None


def test_scratch_is_reused_with_headroom_and_let_go_when_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from sovtui.workloads import sample_sort

    monkeypatch.setattr(sample_sort, "SCRATCH_IDLE_S", 0.2)
    monkeypatch.setattr(sample_sort, "_scratch_buffer", None)  # earlier tests' buffer
    first = sample_sort._scratch(800)
    assert first.size == 800 and first.flags.writeable
    again = sample_sort._scratch(850)  # within the headroom: the same memory
    assert np.shares_memory(first, again) and again.size == 850
    bigger = sample_sort._scratch(2000)
    assert not np.shares_memory(first, bigger)
    deadline = time.monotonic() + 5
    while sample_sort._scratch_buffer is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sample_sort._scratch_buffer is None
    assert sample_sort._scratch(10).size == 10  # and a new one after that


def test_sort_consumes_its_input_and_keeps_the_store_at_2x_the_data() -> None:
    """The object store peaks at <= 2x the data (input + buckets, then buckets + output)."""
    import ray

    from sovtui.workloads import sample_sort as sort_bench
    from sovtui.workloads._store import StorePeak, wait_store_below

    floor = StorePeak.read()
    if floor == 0 and StorePeak.read() == 0:
        blocks = [ray.put(np.arange(10))]
        if StorePeak.read() == 0:
            pytest.skip("this Ray does not report object store use")
        del blocks
    keys = 2_000_000
    wait_store_below(floor + 2**20)
    floor = StorePeak.read()
    blocks, sums = sort_bench.generate(keys, 2, seed=3)
    expected = sort_bench.combine_checksums(ray.get(sums))
    ray.wait(blocks, num_returns=2, fetch_local=False)
    with StorePeak(period_s=0.002) as store:
        run = sort_bench.sample_sort(blocks, 2, consume=True)
    ok, message, _ = sort_bench.verify(run.outputs, expected)
    assert ok, message
    peak = store.peak - floor
    assert keys * 8 <= peak <= 2 * keys * 8 + 2**20, peak / (keys * 8)


def test_generated_sort_verifies_and_reports_phases() -> None:
    import ray

    from sovtui.workloads import sample_sort as sort_bench

    blocks, sums = sort_bench.generate(30_000, 3, seed=5, max_key=50)
    expected = sort_bench.combine_checksums(ray.get(sums))
    run = sort_bench.sample_sort(blocks, 3, consume=True)
    assert blocks == []  # consumed: the input can be freed before the merge phase
    ok, message, sizes = sort_bench.verify(run.outputs, expected)
    assert ok, message
    assert sum(sizes) == 30_000
    assert set(run.phases) == {"sample", "partition", "merge"}
    assert len(run.task_seconds["local_sort"]) == 3
    # the partition and merge tasks' CPU time: some, and no more than 3 workers' wall time
    assert 0 < run.cpu_seconds <= 3 * run.seconds * 1.05


def test_verify_detects_wrong_output() -> None:
    import ray

    from sovtui.workloads import sample_sort as sort_bench

    outputs = [ray.put(np.array([1, 2, 3])), ray.put(np.array([2, 5]))]  # boundary overlap
    ok, message, _ = sort_bench.verify(outputs, sort_bench.combine_checksums([]))
    assert not ok and "overlap" in message
    outputs = [ray.put(np.array([1, 2, 3]))]
    ok, message, _ = sort_bench.verify(outputs, (3, 7, 0))
    assert not ok and "checksum" in message


def test_pick_splitters_edge_cases() -> None:
    from sovtui.workloads.sample_sort import pick_splitters

    assert pick_splitters(np.array([3, 1, 2]), 1).size == 0
    assert pick_splitters(np.empty(0, dtype=np.int64), 3).tolist() == [0, 0]
    assert pick_splitters(np.arange(100), 4).tolist() == [25, 50, 75]


def test_sort_bench_main_prints_and_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    from sovtui.workloads import sort_bench

    assert sort_bench.main(["--keys", "20000", "--partitions", "2", "--max-key", "100"]) == 0
    out = capsys.readouterr().out
    assert "verify: OK" in out
    assert 'SOVTUI_METRIC {"v":1,"workload":"sort","phase":"result"' in out


def test_auto_keys_is_a_quarter_of_the_store_capped() -> None:
    from sovtui.workloads.sort_bench import AUTO_KEYS_CAP, AUTO_KEYS_MIN, auto_keys

    assert auto_keys(7e9) == AUTO_KEYS_CAP == 20_000_000
    assert auto_keys(300 * 2**20) == 9_000_000  # 300 MiB store: 75 MiB of keys, whole millions
    assert auto_keys(0) == AUTO_KEYS_MIN


def test_numpy_kernel_choice_and_machine() -> None:
    from sovtui.workloads import _machine

    options, machine = _machine.choose("default", 1, keys=100_000)
    assert options == {} and machine["numpy_choice"] == "default"
    assert machine["numpy_version"] == np.__version__ and machine["cpu_cores"] >= 1
    assert machine["numpy_sort_simd"] == machine["numpy_sort_default"]
    assert machine["numpy_sort_rate_default"] > 0
    if not _machine.avx512_targets() or not machine["numpy_sort_default"].startswith("AVX-512"):
        return  # no AVX-512 kernel here: nothing else to choose
    options, machine = _machine.choose("no-avx512", 2, keys=100_000)
    disabled = options["runtime_env"]["env_vars"][_machine.DISABLE_VAR]
    assert "X86_V4" in disabled or "AVX512_SKX" in disabled
    assert machine["numpy_choice"] == "no-avx512"
    assert machine["numpy_sort_simd"].startswith("AVX2")  # what the workers really dispatch to
    assert machine["numpy_sort_rate_no_avx512"] > 0


def test_limit_and_fixed_overhead() -> None:
    import ray

    from sovtui.workloads import sort_bench
    from sovtui.workloads.sample_sort import generate

    blocks, _ = generate(200_000, 2, seed=1)
    limit = sort_bench.limit_run(blocks, {}, 1.0, workers=2)
    assert limit["seconds"] == pytest.approx(limit["copy_s"] + limit["sort_s"])
    assert limit["sort_s"] > 0 and limit["copy_s"] > 0
    assert 0 < limit["cores_used"] <= 2 * 1.05  # 2 workers get at most 2 cores (clock slack)
    assert limit["cpu_s"] == pytest.approx(limit["cores_used"] * limit["seconds"])
    seconds, cores = sort_bench.numpy_baseline(blocks, {})
    assert seconds > 0 and 0 < cores <= 1.05
    assert len(ray.get(blocks)) == 2  # the limit reads the blocks; it does not consume them
    waves = sort_bench.limit_run(blocks, {}, 1.0, workers=1)  # 2 shares, 1 at a time
    assert waves["seconds"] > 0
    assert sort_bench.limit_run([], {}, 1.0, workers=2)["seconds"] == 0.0
    assert 0 < sort_bench.fixed_overhead(2, 1.0, {}, repeat=1) < 30
