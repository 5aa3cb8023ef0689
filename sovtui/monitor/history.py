"""An in-process ring buffer of cluster samples for the history plots (no Prometheus needed)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from sovtui.ray_api.snapshot import ClusterSnapshot

Points = list[tuple[float, float]]  # (seconds before now, value)
AbsPoints = list[tuple[float, float]]  # (unix seconds, value)


@dataclass(frozen=True)
class Sample:
    taken_at: float
    cpu_logical_pct: float | None  # Ray's CPU resource in use (tasks/actors holding CPUs)
    cpu_physical_pct: float | None  # the machines' own CPU use, averaged over live nodes
    object_store_pct: float | None


def sample_of(snapshot: ClusterSnapshot) -> Sample:
    cpu = snapshot.totals.get("CPU")
    store = snapshot.totals.get("object_store_memory")
    physical = [n.cpu_percent for n in snapshot.alive_nodes if n.cpu_percent is not None]
    return Sample(
        taken_at=snapshot.taken_at,
        cpu_logical_pct=cpu.fraction * 100 if cpu and cpu.fraction is not None else None,
        cpu_physical_pct=sum(physical) / len(physical) if physical else None,
        object_store_pct=store.fraction * 100 if store and store.fraction is not None else None,
    )


class History:
    def __init__(self, max_points: int) -> None:
        self._samples: deque[Sample] = deque(maxlen=max_points)
        # From the flight recorder (a restart's past, a zoom beyond the ring): attribute ->
        # bucket maxima; drawn where no live sample is.
        self._recorded: dict[str, AbsPoints] = {}

    def add(self, snapshot: ClusterSnapshot) -> None:
        self._samples.append(sample_of(snapshot))

    def clear(self) -> None:
        self._samples.clear()
        self._recorded = {}

    def set_recorded(self, points: dict[str, AbsPoints]) -> None:
        self._recorded = points

    @property
    def recorded_points(self) -> int:
        return sum(len(p) for p in self._recorded.values())

    def __len__(self) -> int:
        return len(self._samples)

    def samples(self) -> list[Sample]:
        return list(self._samples)

    def per_column(self, attribute: str, column_s: float, window_s: float) -> Points:
        """One Sample attribute averaged per plot column of `column_s` seconds.

        Columns are pinned to multiples of their width in wall-clock time, so a new sample
        moves nothing until a new column starts: most polls leave a plot's raster, and so
        its drawing, as it was. x is the column's start relative to the newest column.
        """
        recorded = self._recorded.get(attribute, [])
        if not self._samples and not recorded:
            return []
        newest_t = self._samples[-1].taken_at if self._samples else recorded[-1][0]
        newest = math.floor(newest_t / column_s)
        oldest = -math.floor(window_s / column_s)
        columns: dict[int, list[float]] = {}
        for sample in self._samples:
            value = getattr(sample, attribute)
            column = math.floor(sample.taken_at / column_s) - newest
            if value is not None and column >= oldest:
                columns.setdefault(column, []).append(value)
        if recorded:
            # The recorder's buckets where the ring has nothing: their maxima, spikes kept.
            live_from = self._samples[0].taken_at if self._samples else math.inf
            peaks: dict[int, float] = {}
            for t, value in recorded:
                column = math.floor(t / column_s) - newest
                if t < live_from and oldest <= column <= 0 and column not in columns:
                    peaks[column] = max(value, peaks.get(column, value))
            for column, value in peaks.items():
                columns[column] = [value]
        return [
            (column * column_s, sum(values) / len(values))
            for column, values in sorted(columns.items())
        ]
