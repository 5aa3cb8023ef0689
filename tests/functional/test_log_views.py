"""Issue 12 item 3, logs: the node log viewer and the Job screen share one LogPane (filter,
`!` invert, regex, arrival times, `W` wrap, ANSI colours as safe styles); `y` on the Job screen
copies the job id; `w` in the node log viewer saves the whole file. Recorded Ray 2.60 answers."""

from __future__ import annotations

import os
import stat
from typing import Any

import httpx
from rich.style import Style

from sovtui.settings.model import Settings
from sovtui.support import locations
from sovtui.tui.app import SovtuiApp
from sovtui.tui.messages import ShowNodeLogs
from sovtui.tui.screens.log_view import LogViewScreen
from sovtui.tui.screens.node_logs import NodeLogsScreen
from sovtui.tui.widgets.log_pane import LogPane
from sovtui.tui.widgets.plain import ansi_line
from tests.functional.test_hostile_text import (
    EVIL_ID,
    FORBIDDEN,
    assert_clean,
    frame,
    open_evil_job,
    serve_hostile,
)
from tests.support.app_factory import AppFactory, make_app
from tests.support.recorded_explorer import RecordedExplorer, explorer_index
from tests.support.recorded_ray import RecordedRay
from tests.support.terminal_writes import osc52
from tests.support.waiting import wait_for, wait_for_poll

HOSTILE_ANSI = (
    "\x1b]52;c;aGVsbG8=\x07"  # OSC 52: writes the clipboard
    "\x1b[?1049l"  # leaves the alternate screen
    "\x1b[5A\x1b[2J\x1b[10;3H"  # cursor up, clear, cursor to
    "\x1b[31mred\x1b[0m \x1b[1;32mgreen\x1b[0m"
    "\x1b]0;title\x1b\\"  # OSC 0 ended by ST
    "\x9b2J"  # an 8-bit CSI
)
MOVES = ("\x1b[5A", "\x1b[2J", "\x1b[10;3H")


def settings() -> Settings:
    return Settings(interval=3600, history_points=10)


def test_ansi_line_keeps_colours_as_styles_and_nothing_else() -> None:
    text = ansi_line(f"a{HOSTILE_ANSI}\tz\u202e\x07")
    assert "\x1b" not in text.plain and "\x07" not in text.plain and "\x9b" not in text.plain
    assert text.plain.startswith("ared green")
    assert "<U+202E>" in text.plain
    styles = {text.plain[s.start : s.end]: s.style for s in text.spans}
    assert isinstance(styles["red"], Style) and styles["red"].color is not None
    assert styles["red"].color.name == "color(1)"
    green = styles["green"]
    assert isinstance(green, Style) and green.bold and green.color is not None
    assert green.color.name == "color(2)"


async def open_node_log(app: SovtuiApp, pilot: Any, lines: int) -> tuple[LogViewScreen, LogPane]:
    await wait_for_poll(pilot)
    app.post_message(ShowNodeLogs(explorer_index()["node_id"]))
    await wait_for(pilot, lambda: isinstance(app.screen, NodeLogsScreen))
    nodes = app.screen
    assert isinstance(nodes, NodeLogsScreen)
    await wait_for(pilot, lambda: nodes.files)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, LogViewScreen))
    screen = app.screen
    assert isinstance(screen, LogViewScreen)
    pane = screen.pane
    await wait_for(pilot, lambda: len(pane.received) == lines)
    return screen, pane


async def test_node_log_colours_render_safely() -> None:
    recorded = RecordedExplorer()
    recorded.log_text = "".join(f"{i} {HOSTILE_ANSI}\n" for i in range(5))
    app = make_app(settings=settings(), recorded=recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        _screen, pane = await open_node_log(app, pilot, 5)
        assert pane.all_lines[0].startswith("0 red green")
        for line in pane.all_lines:
            assert "\x1b" not in line and "\x07" not in line and "\x9b" not in line
        spans = pane.line_styles[0]
        assert spans and {pane.lines[0][s.start : s.end] for s in spans} == {"red", "green"}
        # Rendered: the colour is a style of the word, and no sequence of the line survives.
        strip = pane.render_line(0)
        red = [seg for seg in strip if "red" in seg.text]
        assert red and red[0].style is not None and red[0].style.color is not None
        output = frame(app)
        assert_clean(output)
        for sequence in (*FORBIDDEN, *MOVES, "title"):
            assert sequence not in output


async def test_node_log_wraps_long_lines_within_the_cap() -> None:
    recorded = RecordedExplorer()
    recorded.log_text = "short\n" + "x" * 500 + "\nend\n"
    app = make_app(settings=settings(), recorded=recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, pane = await open_node_log(app, pilot, 3)
        assert len(pane.all_lines) == 3
        await pilot.press("W")
        assert pane.wrap
        width = pane.scrollable_content_region.width
        assert 0 < width < 500
        assert len(pane.all_lines) == 2 + -(-500 // width)
        assert all(len(row) <= width for row in pane.all_lines)
        assert "".join(pane.all_lines[1:-1]) == "x" * 500
        await pilot.press("W")
        assert len(pane.all_lines) == 3
        assert screen.is_running


async def test_node_log_w_saves_the_whole_file(tmp_path: Any) -> None:
    recorded = RecordedExplorer()
    recorded.log_text = "".join(f"line {i}\n" for i in range(3))
    whole = "".join(f"saved \x1b[31m{i}\x1b[0m\n" for i in range(5000)).encode()
    asked: list[httpx.QueryParams] = []

    def file_answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params)
        return httpx.Response(200, stream=httpx.ByteStream(whole))

    recorded.override["/api/v0/logs/file"] = file_answer
    app = make_app(settings=settings(), recorded=recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, _pane = await open_node_log(app, pilot, 3)
        await pilot.press("w")
        folder = locations.data_dir() / "logs"
        await wait_for(pilot, lambda: list(folder.glob("*.log")))
        saved = next(folder.glob("*.log"))
        assert saved.read_bytes() == whole  # byte for byte, escapes included
        assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
        assert asked[-1]["lines"] == "-1"  # the whole file, not Ray's default 1000 lines
        assert asked[-1]["filename"] == screen.filename
        assert asked[-1]["node_id"] == screen.node_id
        assert not list(folder.glob("*.part"))


async def test_job_log_filters_inverts_times_and_copies_the_id(
    recorded_ray: RecordedRay, app_factory: AppFactory, written: list[str]
) -> None:
    words = ["alpha", "beta", "gamma"] * 4
    log_text = "".join(f"{i} {w} \x1b[33m{w}\x1b[0m{HOSTILE_ANSI}\n" for i, w in enumerate(words))
    serve_hostile(recorded_ray, log_text)
    app = app_factory()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_evil_job(app, pilot)
        pane = screen.pane
        assert len(pane.all_lines) == 12
        assert all(pane.line_styles[y] for y in range(12))  # the colours are kept
        await pilot.press("slash", *"b.ta", "enter")  # a regex
        assert [line.split()[1] for line in pane.all_lines] == ["beta"] * 4
        assert len(pane.matches) == 4 and pane.current == 0  # jumped to the first match
        await pilot.press("y")  # a match is current: its line
        assert osc52(pane.lines[pane.matches[0]]) in written
        await pilot.press("exclamation_mark")
        assert {line.split()[1] for line in pane.all_lines} == {"alpha", "gamma"}
        screen.action_follow()  # back to following, no filter (the focused Log takes `end`)
        assert len(pane.all_lines) == 12 and pane.query_text == ""
        await pilot.press("t")
        assert pane.all_lines[0][2] == ":" and pane.all_lines[0][5] == ":"
        await pilot.press("t")
        written.clear()
        await pilot.press("y")  # nothing current: the job id
        assert osc52(EVIL_ID) in written
        await pilot.press("W")
        assert pane.wrap
        assert_clean(frame(app))
        assert app.is_running and app.crash is None


async def test_actor_log_w_saves_the_whole_stderr() -> None:
    """`w` in an actor's log (opened from its detail): the whole stderr, by actor id."""
    from sovtui.tui.screens.log_view import LogSource

    recorded = RecordedExplorer()  # the log routes answer the Crasher's recorded stderr
    app = make_app(settings=settings(), recorded=recorded)
    crasher = explorer_index()["actors_by_class"]["Crasher"]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        screen = LogViewScreen(app.services, source=LogSource(actor_id=crasher, suffix="err"))
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.lines, what="the actor's stderr")
        await pilot.press("w")
        folder = locations.data_dir() / "logs"
        await wait_for(pilot, lambda: list(folder.glob("actor-*.log")))
        saved = next(folder.glob("actor-*.log"))
        assert b"constructor failed on purpose" in saved.read_bytes()
        assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
        path, query = recorded.log_asked[-1]
        assert path == "/api/v0/logs/file"
        assert (query["actor_id"], query["suffix"], query["lines"]) == (crasher, "err", "-1")
