"""Scaling-study maths: speedup, ideal time, Brent's bound and efficiency per worker count.

Brent's theorem: a computation with total work W and depth (critical path) D runs on p workers
in T_p <= W/p + D under a greedy scheduler. We estimate W and D from measured phases:

- The workloads are sequences of barrier-separated phases; phase i runs tasks with measured
  compute times t_i1..t_ik, plus `serial` driver-side seconds (e.g. choosing splitters).
- W = sum of every task time + serial time  (what one worker would have to do alone).
- D = sum over phases of max_j t_ij + serial time  (the longest chain: each phase waits for its
  slowest task, and the serial parts run alone).
W and D come from ONE run with a fixed task graph (the run with the fewest workers, where tasks
suffer least from contention), and the bound is then drawn for every p.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Phase:
    """One barrier-separated phase: parallel task compute times plus serial seconds."""

    task_seconds: tuple[float, ...]
    serial_seconds: float = 0.0


@dataclass(frozen=True)
class WorkDepth:
    work_s: float
    depth_s: float


@dataclass(frozen=True)
class ScalingPoint:
    workers: int
    seconds: float
    speedup: float  # T_1 / T_p (T_1 = time at the smallest worker count, scaled if it is not 1)
    ideal_s: float  # T_1 / p
    brent_s: float | None  # W / p + D, when W and D are known
    efficiency: float  # speedup / p

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def work_and_depth(phases: Iterable[Phase]) -> WorkDepth:
    work = depth = 0.0
    for phase in phases:
        work += sum(phase.task_seconds) + phase.serial_seconds
        depth += (max(phase.task_seconds) if phase.task_seconds else 0.0) + phase.serial_seconds
    return WorkDepth(work, depth)


def phases_from_task_seconds(
    task_seconds: Mapping[str, Sequence[float]], serial_seconds: float = 0.0
) -> list[Phase]:
    """Phases from a workload's {"phase": [task seconds, ...]} report; serial time goes first."""
    phases = [Phase((), serial_seconds)] if serial_seconds else []
    phases.extend(Phase(tuple(float(s) for s in times)) for times in task_seconds.values())
    return phases


def brent_bound(work_s: float, depth_s: float, workers: int) -> float:
    if workers < 1:
        raise ValueError("workers must be >= 1")
    return work_s / workers + depth_s


def scaling_points(
    measured: Mapping[int, float], work_depth: WorkDepth | None = None
) -> list[ScalingPoint]:
    """Per-point figures from {workers: seconds}. T_1 is measured if p=1 was run; otherwise it is
    extrapolated as p_min * T_pmin (assuming perfect scaling below the smallest point)."""
    clean = {int(p): float(t) for p, t in measured.items() if int(p) >= 1 and float(t) > 0}
    if not clean:
        return []
    p_min = min(clean)
    t1 = clean[p_min] * p_min
    points = []
    for p in sorted(clean):
        seconds = clean[p]
        speedup = t1 / seconds
        brent = brent_bound(work_depth.work_s, work_depth.depth_s, p) if work_depth else None
        points.append(ScalingPoint(p, seconds, speedup, t1 / p, brent, speedup / p))
    return points
