"""The explorer's resource views by keyboard, on answers recorded from a real Ray 2.60 head:
`:` command mode with completion, `/` filter and `!` inverse, sort, enter -> detail, Serve
hidden with its reason, errors as a banner line."""

from __future__ import annotations

from typing import cast

import httpx
from textual.pilot import Pilot
from textual.widgets import Input

from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.palette import binding_commands
from sovtui.tui.resource_views import VIEWS
from sovtui.tui.screens.command import CommandScreen
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.log_view import LogViewScreen
from sovtui.tui.screens.resources import DetailScreen, ResourceScreen
from sovtui.tui.screens.sort_menu import SortMenu
from tests.support.app_factory import make_app
from tests.support.recorded_explorer import RecordedExplorer
from tests.support.recorded_state import explorer_index, explorer_ray
from tests.support.waiting import wait_for, wait_for_poll

SETTINGS = Settings(interval=3600)


def app() -> SovtuiApp:
    return make_app(settings=SETTINGS, recorded=explorer_ray())


async def shown(pilot: Pilot[None], name: str) -> ResourceScreen:
    await wait_for(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, ResourceScreen)
            and pilot.app.screen.view.name == name
            and pilot.app.screen.latest is not None
        ),
        what=f"the {name} view with rows",
    )
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ResourceScreen)
    return screen


def opened(pilot: Pilot[None]) -> SovtuiApp:
    return cast(SovtuiApp, pilot.app)


def detail_screen(pilot: Pilot[None]) -> DetailScreen:
    screen = pilot.app.screen
    assert isinstance(screen, DetailScreen)
    return screen


def column(screen: ResourceScreen, title: str) -> list[str]:
    index = [c.title for c in screen.view.columns].index(title)
    return [str(getattr(v, "plain", v)) for v in (r[2][index] for r in screen.table.visible_rows())]


async def test_command_mode_completes_and_filters() -> None:
    async with app().run_test(size=(120, 40)) as pilot:
        await pilot.press("colon")
        assert isinstance(pilot.app.screen, CommandScreen)
        await pilot.press("a", "c", "tab")
        assert pilot.app.screen.query_one("#command", Input).value == "actors "
        await pilot.press(*"Counter", "enter")
        screen = await shown(pilot, "actors")
        assert column(screen, "Class") == ["Counter"]
        assert screen.table.border_title == "Actors (1 of 6 match 'Counter')"
        # `:tasks FAILED`: the other view, filtered; the history keeps both lines
        await pilot.press("colon", *"tasks FAILED", "enter")
        tasks = await shown(pilot, "tasks")
        assert set(column(tasks, "State")) == {"FAILED"}
        assert len(column(tasks, "State")) == 6
        await pilot.press("colon", "up")
        assert pilot.app.screen.query_one("#command", Input).value == "tasks FAILED"
        await pilot.press("up")
        assert pilot.app.screen.query_one("#command", Input).value == "actors Counter"
        await pilot.press("escape")
        # `:jobs` is the dashboard with its jobs table focused
        await pilot.press("colon", *"jobs", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DashboardScreen))
        await pilot.pause()
        assert pilot.app.focused is not None and pilot.app.focused.id == "jobs"
        # an unknown name is a notification, not a crash
        await pilot.press("colon", *"bogus", "enter")
        await pilot.pause()
        assert any("unknown view 'bogus'" in n.message for n in pilot.app._notifications)


async def test_slash_filter_inverse_and_sort() -> None:
    async with app().run_test(size=(120, 40)) as pilot:
        await opened(pilot).run_command("actors")
        screen = await shown(pilot, "actors")
        assert screen.table.border_title == "Actors (6)"
        await pilot.press("slash", *"DEAD")
        assert sorted(column(screen, "Class")) == ["Crasher", "Exiter", "Victim"]
        await pilot.press("enter")
        assert pilot.app.focused is screen.table  # the filter stays, the table has the keys
        await pilot.press("slash", "home", "!")
        assert sorted(column(screen, "Class")) == ["Counter", "GpuActor", "JobSupervisor"]
        assert screen.table.border_title == "Actors (3 of 6 match '!DEAD')"
        await pilot.press("escape")
        assert len(column(screen, "Class")) == 6
        ray_order = column(screen, "Class")
        palette = {command.title: command.help for command in binding_commands(screen)}
        assert "a menu of the columns" in palette["Sort"] and "(s)" in palette["Sort"]
        await pilot.press("s")  # the sort menu: a digit per column
        assert isinstance(pilot.app.screen, SortMenu)
        await pilot.press("1")  # by Class
        assert pilot.app.screen is screen
        classes = column(screen, "Class")
        assert classes == sorted(classes, key=str.lower)
        assert str(screen.table.columns["0"].label) == "Class ▲"
        await pilot.press("S")
        assert column(screen, "Class") == sorted(classes, key=str.lower, reverse=True)
        await pilot.press("s", "1")  # the sorted column again: the other way round
        assert column(screen, "Class") == sorted(classes, key=str.lower)
        # by keyboard only: down to PID (the 6th column), `d` for descending
        await pilot.press("s", "down", "down", "down", "down", "down", "d")
        pids = [int(pid) if pid else -1 for pid in column(screen, "PID")]
        assert screen.table.sort_column == 5 and screen.table.sort_reverse
        assert pids[: len([p for p in pids if p >= 0])] == sorted(
            (p for p in pids if p >= 0), reverse=True
        )
        assert str(screen.table.columns["5"].label) == "PID ▼"
        await pilot.press("s", "escape")  # nothing chosen: the sort stays
        assert screen.table.sort_column == 5
        await pilot.press("s", "0")  # Ray's order again
        assert screen.table.sort_column is None
        assert column(screen, "Class") == ray_order


async def test_enter_opens_the_actor_with_its_death_cause() -> None:
    crasher = explorer_index()["actors_by_class"]["Crasher"]
    recorded = explorer_ray()
    async with make_app(settings=SETTINGS, recorded=recorded).run_test(size=(120, 40)) as pilot:
        await opened(pilot).run_command("actors Crasher")
        screen = await shown(pilot, "actors")
        assert screen.selected() == ("actors", crasher, screen.table.shown_items[crasher])
        await wait_for_poll(pilot)  # the dashboard's first poll (under this view) is over
        recorded.requests.clear()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DetailScreen))
        detail = detail_screen(pilot)
        await wait_for(pilot, lambda: detail.fields, what="the actor's detail")
        fields = dict(detail.fields)
        assert fields["death cause"] == "CREATION_TASK_ERROR"
        assert "ZeroDivisionError" in fields["death message"] or fields["death message"]
        assert recorded.requests == ["/api/v0/actors"]  # one request, for this row only
        await pilot.press("escape")
        assert pilot.app.screen is screen


async def test_enter_opens_a_failed_task_with_its_timeline() -> None:
    async with app().run_test(size=(120, 40)) as pilot:
        await opened(pilot).run_command(r"tasks ^fail\s")  # a regex: the `fail` function
        screen = await shown(pilot, "tasks")
        messages = column(screen, "Message")
        assert any(messages), "failed tasks show their error message"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DetailScreen))
        detail = detail_screen(pilot)
        await wait_for(pilot, lambda: detail.fields, what="the task's detail")
        keys = [key for key, _ in detail.fields]
        assert "event" in keys and "required resources" in keys and "error type" in keys


async def test_actor_detail_opens_its_stderr_followed_live() -> None:
    crasher = explorer_index()["actors_by_class"]["Crasher"]
    recorded = explorer_ray(RecordedExplorer())  # the log routes: the Crasher's recorded stderr
    async with make_app(settings=SETTINGS, recorded=recorded).run_test(size=(120, 40)) as pilot:
        await opened(pilot).run_command("actors Crasher")
        await shown(pilot, "actors")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DetailScreen))
        detail = detail_screen(pilot)
        assert detail.check_action("log", ("err",)) is True  # in the footer
        palette = {command.title for command in binding_commands(detail)}
        assert {"Log", "Stderr"} <= palette
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LogViewScreen))
        viewer = pilot.app.screen
        assert isinstance(viewer, LogViewScreen)
        await wait_for(pilot, lambda: viewer.pane.border_subtitle, what="the end of the stream")
        text = "\n".join(line for _, line in viewer.lines)
        assert "ValueError: explorer: constructor failed on purpose" in text
        path, query = recorded.log_asked[-1]
        assert path == "/api/v0/logs/stream"  # followed, not read once
        assert (query["actor_id"], query["suffix"]) == (crasher, "err")
        assert viewer.pane.border_title is not None
        assert crasher[:12] in str(viewer.pane.border_title)
        await pilot.press("escape")
        assert pilot.app.screen is detail
        await pilot.press("l")  # stdout
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LogViewScreen))
        await wait_for(pilot, lambda: recorded.log_asked[-1][1].get("suffix") == "out")


async def test_task_detail_reads_its_log_slice_once() -> None:
    recorded = explorer_ray(RecordedExplorer())
    async with make_app(settings=SETTINGS, recorded=recorded).run_test(size=(120, 40)) as pilot:
        await opened(pilot).run_command(r"tasks ^fail\s")
        screen = await shown(pilot, "tasks")
        chosen = screen.table.selected()
        assert chosen is not None
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DetailScreen))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LogViewScreen))
        viewer = pilot.app.screen
        assert isinstance(viewer, LogViewScreen)
        await wait_for(pilot, lambda: viewer.lines, what="the task's lines")
        path, query = recorded.log_asked[-1]
        assert path == "/api/v0/logs/file"  # a task's slice: read once (the stream leaks on)
        assert (query["task_id"], query["suffix"]) == (chosen[0], "err")
        assert "read once" in str(viewer.pane.border_subtitle)


async def test_log_keys_only_where_a_row_has_a_log() -> None:
    async with app().run_test(size=(120, 40)) as pilot:
        await opened(pilot).run_command("pg")
        await shown(pilot, "pg")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DetailScreen))
        detail = detail_screen(pilot)
        assert detail.check_action("log", ("out",)) is False
        assert not {"Log", "Stderr"} & {command.title for command in binding_commands(detail)}
        await pilot.press("l")
        await pilot.pause()
        assert pilot.app.screen is detail


async def test_every_view_shows_rows_or_its_reason() -> None:
    async with app().run_test(size=(120, 40)) as pilot:
        for name, rows in (("pg", 2), ("objects", 17), ("workers", 7), ("events", 3)):
            await opened(pilot).run_command(name)
            screen = await shown(pilot, name)
            assert screen.table.row_count == rows, name
            # Only /events takes no limit (every event, each time): it is polled seldom.
        await opened(pilot).run_command("pg")
        pg = await shown(pilot, "pg")
        assert any("INFEASIBLE" in state for state in column(pg, "State"))
        await opened(pilot).run_command("serve")
        serve = await shown(pilot, "serve")
        reason = serve.query_one("#hidden")
        assert reason.display and "Serve is not installed" in str(reason.render())
        assert not serve.table.display


def test_only_the_events_view_polls_seldom() -> None:
    """Only /events takes no limit (every event, every time): it is asked for every 30 s."""
    services = make_app(settings=Settings(interval=2.0), recorded=explorer_ray()).services
    intervals = {
        name: ResourceScreen(services, view).poller.interval for name, view in VIEWS.items()
    }
    assert intervals.pop("events") == 30.0
    assert set(intervals.values()) == {2.0}


async def test_truncation_says_showing_n_of_m() -> None:
    recorded = explorer_ray()
    list_actors = recorded.override["/api/v0/actors"]

    def two_only(request: httpx.Request) -> httpx.Response:
        params = [(k, v) for k, v in request.url.params.multi_items() if k != "limit"]
        return list_actors(
            httpx.Request("GET", request.url.copy_with(params=[*params, ("limit", "2")]))
        )

    recorded.override["/api/v0/actors"] = two_only
    async with make_app(settings=SETTINGS, recorded=recorded).run_test(size=(120, 40)) as pilot:
        await opened(pilot).run_command("actors")
        screen = await shown(pilot, "actors")
        assert screen.table.border_title == "Actors (showing 2 of 6)"
        notes = screen.query_one("#notes")
        assert notes.display and "showing 2 of 6" in str(notes.render())


async def test_errors_are_a_banner_line_never_a_crash() -> None:
    recorded = explorer_ray()
    recorded.override["/api/v0/actors"] = lambda _request: httpx.Response(
        500, text="500 Internal Server Error\n\nServer got itself in trouble"
    )
    async with make_app(settings=SETTINGS, recorded=recorded).run_test(size=(120, 40)) as pilot:
        await opened(pilot).run_command("actors")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResourceScreen))
        screen = pilot.app.screen
        assert isinstance(screen, ResourceScreen)
        await wait_for(pilot, lambda: screen.poller.link.failures > 0, what="a failed poll")
        await pilot.pause()
        banner = screen.query_one("#banner")
        assert banner.display and "failed internally" in str(banner.render())
        assert pilot.app.is_running


async def test_polled_only_while_shown() -> None:
    recorded = explorer_ray()
    async with make_app(settings=SETTINGS, recorded=recorded).run_test(size=(120, 40)) as pilot:
        await opened(pilot).run_command("objects")
        objects = await shown(pilot, "objects")
        assert objects.poller.latest is not None
        await opened(pilot).run_command("actors")
        await shown(pilot, "actors")
        assert not objects.is_current
        assert objects.poller._wanted() is False  # its timer ticks skip the fetch


async def test_not_polled_under_its_detail_screen_and_polled_once_back() -> None:
    """`:objects` asks every worker on each call: the view under its detail screen (which
    covers it; Textual still counts the screen just below the top as current) must not poll."""
    recorded = explorer_ray()
    settings = Settings(interval=0.2)
    async with make_app(settings=settings, recorded=recorded).run_test(size=(120, 40)) as pilot:
        await opened(pilot).run_command("objects")
        screen = await shown(pilot, "objects")

        def polls() -> int:
            return recorded.requests.count("/api/v0/objects")

        first = polls()
        await wait_for(pilot, lambda: polls() >= first + 2, what="polls at the interval")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DetailScreen))
        await wait_for(pilot, lambda: detail_screen(pilot).fields, what="the object's fields")
        await pilot.pause(0.3)  # a poll in flight when it opened ends
        hidden = polls()
        await pilot.pause(1.2)  # six intervals
        assert polls() == hidden, "polled while its detail screen covered it"
        await pilot.press("escape")
        assert pilot.app.screen is screen
        await wait_for(pilot, lambda: polls() > hidden, what="a poll once shown again")
