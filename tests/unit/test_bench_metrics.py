"""The metrics parser: malformed, truncated, interleaved and chunked input never raises."""

from __future__ import annotations

import json

from sovtui.bench.metrics import MetricsCollector, MetricsParser, parse_line, parse_text
from sovtui.workloads._metrics import PREFIX, format_metric


def _line(**fields: object) -> str:
    return PREFIX + json.dumps({"workload": "sort", "phase": "merge", **fields})


def test_emitter_output_round_trips() -> None:
    line = format_metric("sort", "partition", step=3, seconds=1.5, ok=True, bad=float("nan"))
    record = parse_line(line)
    assert record is not None
    assert (record.workload, record.phase, record.step) == ("sort", "partition", 3)
    assert record.number("seconds") == 1.5
    assert record.measures["ok"] is True and record.number("ok") is None
    assert record.measures["bad"] is None  # NaN became null: the line stays valid JSON
    assert record.elapsed_s is not None and record.t is not None


def test_interleaved_output_and_ray_prefixes() -> None:
    text = "\n".join(
        [
            "starting...",
            _line(seconds=1.0),
            "(RayTrainWorker pid=42) " + _line(seconds=2.0),
            "some other log line",
        ]
    )
    records, parser = parse_text(text)
    assert [r.number("seconds") for r in records] == [1.0, 2.0]
    assert parser.lines == 4 and parser.malformed == 0


def test_malformed_lines_are_counted_not_raised() -> None:
    bad = [
        PREFIX + "{not json",
        PREFIX + "[1, 2]",
        PREFIX + json.dumps({"workload": "sort"}),  # no phase
        PREFIX + json.dumps({"workload": 1, "phase": "x"}),
        PREFIX + json.dumps({"workload": "s", "phase": "x", "step": "3"}),
        PREFIX + json.dumps({"workload": "s", "phase": "x", "step": True}),
        PREFIX,
        PREFIX + "[" * 100_000,  # deep nesting must not escape as RecursionError
    ]
    records, parser = parse_text("\n".join([*bad, _line(seconds=3.0)]) + "\n")
    assert len(records) == 1
    assert parser.malformed == len(bad)


def test_chunked_mid_line_and_crlf() -> None:
    text = _line(seconds=1.0) + "\r\nnoise\n" + _line(seconds=2.0) + "\n"
    parser = MetricsParser()
    records = []
    for i in range(0, len(text), 7):  # cut everywhere, including inside the prefix
        records += parser.feed(text[i : i + 7].encode())
    records += parser.finish()
    assert [r.number("seconds") for r in records] == [1.0, 2.0]
    assert parser.malformed == 0


def test_truncated_last_line_is_malformed_and_complete_one_is_kept() -> None:
    parser = MetricsParser()
    assert parser.feed(_line(seconds=1.0)) == []  # no newline yet: buffered
    assert [r.number("seconds") for r in parser.finish()] == [1.0]
    parser.feed(_line(seconds=2.0)[:-5])
    assert parser.finish() == []
    assert parser.malformed == 1


def test_runaway_line_is_dropped() -> None:
    parser = MetricsParser()
    parser.feed(PREFIX + "x" * 2_000_000)
    assert parser.malformed == 1
    assert [r.phase for r in parser.feed("\n" + _line() + "\n")] == ["merge"]


def test_collector_keeps_series_per_job() -> None:
    collector = MetricsCollector()
    collector.feed("a", _line(step=0, elapsed_s=0.5, seconds=1.0) + "\n")
    collector.feed("b", _line(step=0, seconds=9.0) + "\n" + _line(step=1, seconds=8.0))
    collector.feed("a", _line(phase="other", seconds=5.0) + "\n")  # overrides phase
    collector.finish("b")
    assert collector.jobs["a"].series("seconds", phase="merge") == [(0.5, 1.0)]
    assert collector.jobs["b"].series("seconds") == [(0.0, 9.0), (1.0, 8.0)]
    assert collector.jobs["a"].last("other") is not None
