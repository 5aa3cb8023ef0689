"""An in-process ring buffer of cluster samples for the history plots (no Prometheus needed)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from sovtui.ray_api.snapshot import ClusterSnapshot

Points = list[tuple[float, float]]  # (seconds before now, value)


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

    def add(self, snapshot: ClusterSnapshot) -> None:
        self._samples.append(sample_of(snapshot))

    def clear(self) -> None:
        self._samples.clear()

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
        if not self._samples:
            return []
        newest = math.floor(self._samples[-1].taken_at / column_s)
        oldest = -math.floor(window_s / column_s)
        columns: dict[int, list[float]] = {}
        for sample in self._samples:
            value = getattr(sample, attribute)
            column = math.floor(sample.taken_at / column_s) - newest
            if value is not None and column >= oldest:
                columns.setdefault(column, []).append(value)
        return [
            (column * column_s, sum(values) / len(values))
            for column, values in sorted(columns.items())
        ]
