"""The SOVTUI_METRIC protocol, reader side: log text in, typed records and time series out.

A workload prints one JSON object per line after the prefix `SOVTUI_METRIC `:

    SOVTUI_METRIC {"v":1,"workload":"sort","phase":"partition","step":3,"elapsed_s":1.23,...}

Required keys: `workload` (str) and `phase` (str). Optional: `v` (protocol version, 1),
`step` (int), `elapsed_s` (float, seconds since the workload started), `t` (unix time);
every other key is a measure (number, string, bool, null, list or object).
The prefix may appear anywhere in a line, so Ray's `(pid=..)` prefixes on worker output are fine.
The parser never raises: lines that carry the prefix but do not parse are counted as malformed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

PREFIX = "SOVTUI_METRIC "
MAX_LINE_CHARS = 1_000_000  # a runaway line is dropped rather than buffered forever
_RESERVED = frozenset({"v", "workload", "phase", "step", "elapsed_s", "t"})


@dataclass(frozen=True)
class MetricRecord:
    workload: str
    phase: str
    step: int | None
    elapsed_s: float | None
    t: float | None
    measures: dict[str, Any]

    def number(self, name: str) -> float | None:
        """A measure as a float, or None when absent or not numeric (bools are not numbers)."""
        value = self.measures.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return float(value)


def _optional_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def parse_line(line: str) -> MetricRecord | None:
    """The record in `line`, or None if the line has no prefix. Raises ValueError if malformed."""
    index = line.find(PREFIX)
    if index < 0:
        return None
    payload = line[index + len(PREFIX) :].strip()
    try:
        data = json.loads(payload)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError("payload is not a JSON object")
    workload, phase = data.get("workload"), data.get("phase")
    if not isinstance(workload, str) or not isinstance(phase, str):
        raise ValueError("'workload' and 'phase' must be strings")
    step = data.get("step")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
        raise ValueError("'step' must be an integer")
    return MetricRecord(
        workload=workload,
        phase=phase,
        step=step,
        elapsed_s=_optional_float(data.get("elapsed_s")),
        t=_optional_float(data.get("t")),
        measures={k: v for k, v in data.items() if k not in _RESERVED},
    )


@dataclass
class MetricsParser:
    """Incremental: feed it chunks cut anywhere (mid-line too); complete lines are parsed."""

    lines: int = 0
    records: int = 0
    malformed: int = 0
    _buffer: str = ""

    def feed(self, chunk: str | bytes) -> list[MetricRecord]:
        if isinstance(chunk, bytes):
            chunk = chunk.decode("utf-8", errors="replace")
        text = self._buffer + chunk
        *complete, self._buffer = text.split("\n")
        if len(self._buffer) > MAX_LINE_CHARS:
            self._buffer = ""
            self.malformed += 1
        return list(self._parse_all(complete))

    def finish(self) -> list[MetricRecord]:
        """Parse what is left after the last newline (a log that ended without one)."""
        rest, self._buffer = self._buffer, ""
        return list(self._parse_all([rest])) if rest.strip() else []

    def _parse_all(self, lines: Iterable[str]) -> Iterator[MetricRecord]:
        for raw in lines:
            self.lines += 1
            try:
                record = parse_line(raw.rstrip("\r"))
            except ValueError:
                self.malformed += 1
                continue
            if record is not None:
                self.records += 1
                yield record


def parse_text(text: str) -> tuple[list[MetricRecord], MetricsParser]:
    """All records in a whole log; the parser is returned for its counters."""
    parser = MetricsParser()
    records = parser.feed(text) + parser.finish()
    return records, parser


@dataclass
class JobSeries:
    """Everything one job reported, with time series views for plotting."""

    records: list[MetricRecord] = field(default_factory=list)
    parser: MetricsParser = field(default_factory=MetricsParser)

    def series(self, measure: str, phase: str | None = None) -> list[tuple[float, float]]:
        """(x, y) points of a numeric measure; x is elapsed_s, else step, else arrival order."""
        points: list[tuple[float, float]] = []
        for index, record in enumerate(self.records):
            if phase is not None and record.phase != phase:
                continue
            value = record.number(measure)
            if value is None:
                continue
            if record.elapsed_s is not None:
                x = record.elapsed_s
            elif record.step is not None:
                x = float(record.step)
            else:
                x = float(index)
            points.append((x, value))
        return points

    def by_phase(self, phase: str) -> list[MetricRecord]:
        return [record for record in self.records if record.phase == phase]

    def last(self, phase: str) -> MetricRecord | None:
        matching = self.by_phase(phase)
        return matching[-1] if matching else None


class MetricsCollector:
    """Per-job time series fed from log text as it streams in (job id -> JobSeries)."""

    def __init__(self) -> None:
        self.jobs: dict[str, JobSeries] = {}

    def feed(self, job_id: str, chunk: str | bytes) -> list[MetricRecord]:
        job = self.jobs.setdefault(job_id, JobSeries())
        new = job.parser.feed(chunk)
        job.records.extend(new)
        return new

    def finish(self, job_id: str) -> list[MetricRecord]:
        job = self.jobs.setdefault(job_id, JobSeries())
        new = job.parser.finish()
        job.records.extend(new)
        return new
