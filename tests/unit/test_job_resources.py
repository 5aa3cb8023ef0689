"""The Job screen's task summary on the explorer job recorded from a real Ray 2.60 head
(tests/recording/record_job_drilldown_responses.py): functions ordered so that a short panel
cuts the finished ones, packed into lines without splitting a function's counts."""

from __future__ import annotations

from rich.cells import cell_len

from sovtui.ray_api.state import StateApi
from sovtui.tui.job_resources import JobResources, fetch_job_resources, packed
from tests.support.recorded_job_drilldown import RecordedJobDrilldown
from tests.support.recorded_ray import recorded_connection


async def recorded_resources() -> JobResources:
    recorded = RecordedJobDrilldown()
    connection = recorded_connection(recorded)
    try:
        return await fetch_job_resources(StateApi(connection.client), str(recorded.index["job_id"]))
    finally:
        await connection.client.aclose()


async def test_failed_functions_first_finished_last_most_tasks_first() -> None:
    totals, *functions = (await recorded_resources()).summary_lines()
    assert totals == "tasks: FAILED 6  FINISHED 26  PENDING_NODE_ASSIGNMENT 3  RUNNING 1"
    names = [line.split(": ")[0] for line in functions]
    assert names[:4] == ["fail", "Crasher.__init__", "Crasher.ping", "Exiter.die"]
    assert functions[0] == "fail: FAILED 3"
    assert names[4] == "sleeper"  # running (and waiting)
    assert set(names[5:7]) == {"GpuActor.__init__", "needs_gpu"}  # waiting only
    assert names[7] == "ok"  # the finished last, the most tasks first
    assert all(": FINISHED" in line and "  " not in line for line in functions[7:])


async def test_packed_lines_fit_and_keep_each_function_whole() -> None:
    _, *functions = (await recorded_resources()).summary_lines()
    for width in (40, 78, 118):
        lines = packed(functions, width)
        # a line fits, or holds one function wider than the line (the widget wraps it)
        assert all(cell_len(line) <= width or "  ·  " not in line for line in lines), lines
        assert len(lines) < len(functions) or width < 50  # entries do share lines
        assert [entry for line in lines for entry in line.split("  ·  ")] == functions
    first = "fail: FAILED 3  ·  Crasher.__init__: FAILED 1  ·  Crasher.ping: FAILED 1"
    assert packed(functions, 78)[0] == first


def test_an_entry_wider_than_the_line_gets_a_line_of_its_own() -> None:
    assert packed(["a: FAILED 1", "x" * 30, "b: FINISHED 2"], 20) == [
        "a: FAILED 1",
        "x" * 30,
        "b: FINISHED 2",
    ]
    assert packed([], 20) == []
