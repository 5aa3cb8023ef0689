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
    ],
)
def test_sort_matches_numpy(name: str, keys: np.ndarray, parts: int) -> None:
    keys = keys.astype(np.int64)
    result = _sorted(keys, parts)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, np.sort(keys), err_msg=name)


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
