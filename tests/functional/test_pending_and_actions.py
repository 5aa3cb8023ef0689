"""Why is it pending, kill an actor, `y` and read-only mode, on answers recorded from a real
Ray 2.60 head (tests/recording/record_explorer_responses.py)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable

from sovtui.settings.model import Settings
from sovtui.tui.screens.actor_pick import ActorPickScreen
from sovtui.tui.screens.confirm import ConfirmScreen
from sovtui.tui.screens.job import JobScreen
from sovtui.tui.screens.pending import PendingScreen
from tests.support.app_factory import make_app
from tests.support.recorded_explorer import RecordedExplorer, explorer_index
from tests.support.terminal_writes import osc52
from tests.support.waiting import settle, wait_for, wait_for_poll


def settings(**changes: object) -> Settings:
    return Settings(interval=3600, history_points=10, **changes)  # type: ignore[arg-type]


async def test_pending_view_names_the_infeasible_and_copies_an_id(written: list[str]) -> None:
    recorded = RecordedExplorer()
    app = make_app(settings=settings(), recorded=recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        await pilot.press("P")
        screen = app.screen
        assert isinstance(screen, PendingScreen)
        await wait_for(pilot, lambda: screen.report is not None)
        report = screen.report
        assert report is not None
        kinds = {(item.kind, item.verdict) for item in report.items}
        assert ("actor", "infeasible") in kinds
        assert ("placement group", "infeasible") in kinds
        assert report.autoscaler_demands == ["{'GPU': 1.0}: 1+ pending tasks/actors"]
        table = screen.query_one(DataTable)
        assert table.row_count == len(report.items)
        first = report.infeasible[0]
        assert "GPU" in first.line()
        await pilot.press("y")
        assert osc52(first.id) in written
        # Polled only while shown: away from it, the timer asks nothing.
        await pilot.press("escape")
        assert not isinstance(app.screen, PendingScreen)


async def test_dashboard_banner_counts_what_is_pending() -> None:
    app = make_app(settings=settings(), recorded=RecordedExplorer())
    async with app.run_test(size=(120, 40)) as pilot:
        banner = app.screen.query_one("#pending-banner")
        await wait_for(pilot, lambda: banner.display)
        assert "pending (" in str(banner.render())
        assert "infeasible" in str(banner.render())


async def test_kill_from_the_picker_confirms_then_reports() -> None:
    recorded = RecordedExplorer()
    app = make_app(settings=settings(), recorded=recorded)
    counter = explorer_index()["actors_by_class"]["Counter"]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+k")
        screen = app.screen
        assert isinstance(screen, ActorPickScreen)
        await wait_for(pilot, lambda: screen.select(counter))
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # declined: nothing is submitted
        await settle(pilot)
        assert isinstance(app.screen, ActorPickScreen)
        assert not any(
            path.startswith("/api/jobs/") and path != "/api/jobs/" for path in recorded.requests
        )


async def test_readonly_hides_and_refuses_every_action(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = RecordedExplorer()
    app = make_app(settings=settings(readonly=True), recorded=recorded)
    notes: list[str] = []
    notify = app.notify

    def noting(message: str, **options: Any) -> None:
        notes.append(message)
        notify(message, **options)

    monkeypatch.setattr(app, "notify", noting)
    counter = explorer_index()["actors_by_class"]["Counter"]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        assert "READ-ONLY" in app.title
        await pilot.press("ctrl+k")
        screen = app.screen
        assert isinstance(screen, ActorPickScreen)
        await wait_for(pilot, lambda: screen.select(counter))
        assert screen.check_action("kill", ()) is False  # hidden from footer and palette
        await pilot.press("k")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        app.kill_actor(counter, "Counter")  # what any other screen's request runs
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("read-only mode" in note for note in notes)
        await pilot.press("escape")
        job_id = recorded.recorded_job("succeeded")
        job = JobScreen(app.services, job_id)
        await app.push_screen(job)
        await settle(pilot)
        assert job.check_action("stop", ()) is False
        assert job.check_action("delete", ()) is False
        job.action_delete()
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)


async def test_node_log_viewer_filters_inverts_and_copies(written: list[str]) -> None:
    from sovtui.tui.screens.log_view import LogViewScreen
    from sovtui.tui.screens.node_logs import NodeLogsScreen
    from sovtui.tui.widgets.search_log import SearchLog

    recorded = RecordedExplorer()
    recorded.log_text = "".join(
        f"{i} {word} \x1b[31mred\x1b[0m\n" for i, word in enumerate(["alpha", "beta", "gamma"] * 4)
    )
    app = make_app(settings=settings(), recorded=recorded)
    node_id = explorer_index()["node_id"]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        from sovtui.tui.messages import ShowNodeLogs

        app.post_message(ShowNodeLogs(node_id))
        await wait_for(pilot, lambda: isinstance(app.screen, NodeLogsScreen))
        nodes = app.screen
        assert isinstance(nodes, NodeLogsScreen)
        await wait_for(pilot, lambda: nodes.files)
        assert "raylet.out" in nodes.files
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LogViewScreen))
        screen = app.screen
        assert isinstance(screen, LogViewScreen)
        log = screen.query_one(SearchLog)
        await wait_for(
            pilot,
            lambda: len(screen.lines) == 12,
            details=lambda: (
                f"{log.border_subtitle} {list(screen.lines)[:3]} {recorded.requests[-3:]}"
            ),
        )
        assert all("\x1b" not in line for line in log.all_lines)  # ANSI never reaches the terminal
        await pilot.press("slash")
        await pilot.press(*"b.ta", "enter")  # a regex
        assert [line.split()[1] for line in log.all_lines] == ["beta"] * 4
        assert log.matches  # highlighted
        await pilot.press("exclamation_mark")
        assert {line.split()[1] for line in log.all_lines} == {"alpha", "gamma"}
        assert len(log.all_lines) == 8
        screen.set_filter("(", inverted=False)  # no regex: the text itself
        assert log.all_lines == []
        screen.set_filter("")
        await pilot.press("y")
        assert osc52(log.all_lines[-1]) in written
        await pilot.press("t")
        assert log.all_lines[0][2] == ":"  # HH:MM:SS first
