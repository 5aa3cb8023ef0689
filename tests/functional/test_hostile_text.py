"""Cluster text is data: escape sequences never reach the terminal, markup never parses, and
the Job screen keeps a bounded log (issue 9, defects 1, 2 and 6)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp, make_app
from sovtui.tui.screens.job import JobScreen, tail_of
from sovtui.tui.widgets.jobs_table import JobsTable
from sovtui.tui.widgets.search_log import SearchLog
from tests.conftest import FROZEN_NOW, recorded_connection
from tests.pilot_helpers import wait_for
from tests.recorded import RAY_260_JOBS, RecordedRay

OSC52 = "\x1b]52;c;aGVsbG8=\x07"  # writes the operator's clipboard
OSC0 = "\x1b]0;pwned\x07"  # sets the window title
LEAVE_ALT = "\x1b[?1049l"  # throws the TUI out of the alternate screen
HOSTILE = f"{OSC52}{OSC0}{LEAVE_ALT}[/x] [/bold]"
FORBIDDEN = ("\x1b]", "\x07", "\x1b[?1049", "\x9b", "\x9d")

EVIL_ID = "evil-job"
MARKUP_ID = "sovtui-exclude-[/tmp]"


def recorded_job() -> dict[str, Any]:
    path = RAY_260_JOBS / "jobs" / "sovtui-tick-20261122-031048.json"
    return dict(json.loads(path.read_text()))


def hostile_job(submission_id: str, status: str = "FAILED") -> dict[str, Any]:
    job = copy.deepcopy(recorded_job())
    job.update(
        submission_id=submission_id,
        status=status,
        entrypoint=f"python -c \"print('{HOSTILE}')\" --exclude '[/tmp]'",
        message=f"boom {HOSTILE}\nsecond line [/bold]",
        error_type=f"ERR{OSC0}[/x]",
        metadata={
            "sovtui.preset": f"p[/x]{OSC52}",
            "sovtui.params": '{"a": "[/x]\\u001b]0;t\\u0007"}',
        },
    )
    return job


def json_response(document: object) -> httpx.Response:
    return httpx.Response(
        200, content=json.dumps(document).encode(), headers={"content-type": "application/json"}
    )


def serve_hostile(recorded: RecordedRay, log_text: str) -> None:
    jobs = [hostile_job(EVIL_ID), hostile_job(MARKUP_ID, "SUCCEEDED")]
    recorded.override["/api/jobs/"] = lambda request: json_response(jobs)
    recorded.override[f"/api/jobs/{EVIL_ID}"] = lambda request: json_response(jobs[0])
    recorded.override[f"/api/jobs/{EVIL_ID}/logs"] = lambda request: json_response(
        {"logs": log_text}
    )


def frame(app: SovtuiApp) -> str:
    """Exactly what the driver would write to the terminal for a full repaint of the screen."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


def assert_clean(output: str) -> None:
    for sequence in FORBIDDEN:
        assert sequence not in output, f"{sequence!r} reached the terminal"


async def open_evil_job(app: SovtuiApp, pilot: Pilot[Any]) -> JobScreen:
    await wait_for(pilot, lambda: app.screen.query_one(JobsTable).row_count == 2)
    assert_clean(frame(app))  # the dashboard's jobs table
    table = app.screen.query_one(JobsTable)
    table.focus()
    table.select_key(EVIL_ID)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, JobScreen))
    screen = app.screen
    assert isinstance(screen, JobScreen)
    await wait_for(pilot, lambda: screen.log_ended)
    await pilot.pause(0.2)
    return screen


async def test_hostile_job_text_never_reaches_the_terminal(recorded_ray: RecordedRay) -> None:
    log_text = "".join(f"line {i} {HOSTILE} \x1b[31mred\x1b[0m \u202eevil\n" for i in range(30))
    serve_hostile(recorded_ray, log_text)
    app = make_app(recorded_connection(recorded_ray), Settings(), clock=lambda: FROZEN_NOW)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_evil_job(app, pilot)
        log = screen.query_one(SearchLog)
        assert len(log.all_lines) == 30
        assert log.all_lines[0] == "line 0 [/x] [/bold] red <U+202E>evil"
        assert screen.query_one("#job-failure").display  # the failure panel is up
        output = frame(app)
        assert_clean(output)
        assert "␛]52;c;aGVsbG8=␇" in output  # the entrypoint's sequence shows as what it is
        # Stop asks for confirmation with the id in it; notifications quote cluster text.
        app.notify(f"error body {HOSTILE}")
        await pilot.press("s")
        await pilot.pause(0.2)
        assert_clean(frame(app))
        await pilot.press("n")
        # Searching for markup-looking text is a literal search.
        await pilot.press("slash", *"[/x]", "enter")
        await pilot.pause(0.1)
        assert len(log.matches) == 30
        assert_clean(frame(app))
        assert app.is_running and app.crash is None


async def test_markup_in_an_error_body_does_not_crash_the_banner(recorded_ray: RecordedRay) -> None:
    recorded_ray.failing = lambda request: httpx.Response(
        500, text=f"[/bold] internal {OSC52} error", headers={"content-type": "text/plain"}
    )
    app = make_app(recorded_connection(recorded_ray), Settings(), clock=lambda: FROZEN_NOW)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: not app.link.healthy and app.link.state != "connecting")
        await pilot.pause(0.2)
        assert_clean(frame(app))
        assert app.is_running and app.crash is None


async def test_the_job_log_keeps_the_most_recent_lines(recorded_ray: RecordedRay) -> None:
    log_text = "".join(f"line {i}\n" for i in range(1000))
    serve_hostile(recorded_ray, log_text)
    app = make_app(
        recorded_connection(recorded_ray), Settings(log_lines=100), clock=lambda: FROZEN_NOW
    )
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_evil_job(app, pilot)
        log = screen.query_one(SearchLog)
        assert log.lines[0] == "… 900 earlier lines not shown (w saves the whole log)"
        assert list(log.all_lines) == [f"line {i}" for i in range(900, 1000)]
        # Live lines push the oldest out; the first line keeps the count.
        log.add_lines([f"more {i}" for i in range(30)])
        assert len(log.all_lines) == 100 and log.all_lines[-1] == "more 29"
        assert log.lines[0].startswith("… 930 earlier lines")
        assert log.search("line 99") == 10  # 990-999: lines 900-929 are gone
        # w: the whole log, to a private file under the data dir.
        await pilot.press("w")
        await wait_for(pilot, lambda: list((_data_dir() / "logs").glob("evil-job-*.log")))
        saved = next((_data_dir() / "logs").glob("evil-job-*.log"))
        await wait_for(pilot, lambda: saved.stat().st_size == len(log_text))
        assert saved.read_text() == log_text
        assert saved.stat().st_mode & 0o077 == 0
        # Dismissed: the screen lets its lines go at once.
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert list(log.lines) == [] and log.matches == []


def _data_dir() -> Path:
    from sovtui.support import locations

    return locations.data_dir()


@pytest.mark.parametrize(
    ("text", "keep", "expected"),
    [
        ("", 5, (0, [])),
        ("a\nb\nc\n", 5, (0, ["a", "b", "c"])),
        ("a\nb\nc\n", 2, (1, ["b", "c"])),
        ("a\nb\nc", 1, (2, ["c"])),
        ("a\nb\nc\n\n", 3, (0, ["a", "b", "c"])),
    ],
)
def test_tail_of(text: str, keep: int, expected: tuple[int, list[str]]) -> None:
    assert tail_of(text, keep) == expected


async def test_an_unexpected_exception_exits_non_zero_with_a_traceback_file(
    recorded_ray: RecordedRay,
) -> None:
    app = make_app(recorded_connection(recorded_ray), Settings(), clock=lambda: FROZEN_NOW)

    def explode() -> None:
        raise RuntimeError(f"bug {OSC52}")

    with pytest.raises(RuntimeError):  # run_test re-raises what crashed the app
        async with app.run_test() as pilot:
            app.call_later(explode)
            await pilot.pause(0.3)
    assert app.return_code == 1
    assert app.crash is not None and app.crash_report is not None
    assert "RuntimeError: bug" in app.crash_report.read_text()
    assert app.crash_report.stat().st_mode & 0o077 == 0
    assert app._exit_renderables == []  # Textual's long traceback is not printed
