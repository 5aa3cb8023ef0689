"""The history ring buffer and its per-column view for the plots."""

from __future__ import annotations

from sovtui.monitor.history import History
from sovtui.ray_api.snapshot import ClusterSnapshot, Usage


def snapshot(at: float, cpu_used: float) -> ClusterSnapshot:
    totals = {"CPU": Usage(used=cpu_used, total=4.0)}
    return ClusterSnapshot(version=None, nodes=(), totals=totals, jobs=(), taken_at=at)


def test_samples_in_one_column_are_averaged_and_do_not_move_it() -> None:
    history = History(100)
    history.add(snapshot(100.0, 1.0))  # columns of 8 s: 96..104 is column 12
    before = history.per_column("cpu_logical_pct", 8.0, 80.0)
    history.add(snapshot(102.0, 3.0))  # same column: same x, averaged value
    after = history.per_column("cpu_logical_pct", 8.0, 80.0)
    assert before == [(0.0, 25.0)]
    assert after == [(0.0, 50.0)]


def test_a_new_column_shifts_the_older_ones_left_by_one_column() -> None:
    history = History(100)
    for at, used in ((100.0, 1.0), (102.0, 1.0), (104.0, 2.0)):
        history.add(snapshot(at, used))
    assert history.per_column("cpu_logical_pct", 8.0, 80.0) == [(-8.0, 25.0), (0.0, 50.0)]


def test_columns_older_than_the_window_and_missing_values_are_left_out() -> None:
    history = History(100)
    history.add(snapshot(0.0, 4.0))
    history.add(ClusterSnapshot(version=None, nodes=(), totals={}, jobs=(), taken_at=500.0))
    history.add(snapshot(1000.0, 2.0))
    assert history.per_column("cpu_logical_pct", 10.0, 600.0) == [(0.0, 50.0)]
    assert History(10).per_column("cpu_logical_pct", 10.0, 600.0) == []
