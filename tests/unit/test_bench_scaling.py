"""Scaling maths: speedup, ideal, Brent's bound, efficiency; W and D from phases."""

from __future__ import annotations

import pytest

from sovtui.bench.scaling import (
    Phase,
    WorkDepth,
    brent_bound,
    phases_from_task_seconds,
    scaling_points,
    work_and_depth,
)


def test_work_and_depth_from_phases() -> None:
    phases = [Phase((1.0, 2.0), serial_seconds=0.5), Phase((3.0, 1.0, 1.0))]
    wd = work_and_depth(phases)
    assert wd.work_s == pytest.approx(1 + 2 + 0.5 + 3 + 1 + 1)
    assert wd.depth_s == pytest.approx(2 + 0.5 + 3)


def test_phases_from_task_seconds() -> None:
    phases = phases_from_task_seconds({"partition": [1, 2], "merge": [4]}, serial_seconds=0.25)
    assert work_and_depth(phases) == WorkDepth(7.25, 6.25)


def test_points_with_measured_t1() -> None:
    points = scaling_points({1: 8.0, 2: 5.0, 4: 4.0}, WorkDepth(8.0, 2.0))
    assert [p.workers for p in points] == [1, 2, 4]
    assert [p.speedup for p in points] == pytest.approx([1.0, 1.6, 2.0])
    assert [p.ideal_s for p in points] == pytest.approx([8.0, 4.0, 2.0])
    assert [p.efficiency for p in points] == pytest.approx([1.0, 0.8, 0.5])
    assert [p.brent_s for p in points] == pytest.approx([10.0, 6.0, 4.0])
    # Brent is an upper bound and ideal a lower one for these measurements.
    assert all(p.ideal_s <= p.seconds <= (p.brent_s or 0) for p in points)


def test_points_extrapolate_t1_and_skip_bad_values() -> None:
    points = scaling_points({2: 3.0, 4: 2.0, 0: 1.0, 8: 0.0})
    assert [p.workers for p in points] == [2, 4]
    assert points[0].speedup == pytest.approx(2.0)  # T1 taken as 2 * T2
    assert points[1].ideal_s == pytest.approx(1.5)
    assert points[0].brent_s is None
    assert scaling_points({}) == []


def test_brent_rejects_zero_workers() -> None:
    with pytest.raises(ValueError):
        brent_bound(1.0, 1.0, 0)
