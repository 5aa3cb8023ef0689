"""`sovtui --replay CLUSTER`: a dead cluster's recording in the dashboard, read-only, with no
request sent anywhere and nothing written to the recording."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovtui.cli import main
from sovtui.monitor.replay import ReplayClient, open_replay
from sovtui.recorder import store
from sovtui.recorder.identity import Target
from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp, make_replay_app
from sovtui.tui.screens.job import JobScreen
from sovtui.tui.widgets.history_canvas import HistoryCanvas
from sovtui.tui.widgets.history_plot import HistoryPlot
from sovtui.tui.widgets.jobs_table import JobsTable
from sovtui.tui.widgets.node_table import NodeTable
from tests.support.clocks import frozen_monotonic
from tests.support.recorder_data import REPLAY_T0, SESSION, record_ended_cluster
from tests.support.waiting import wait_for

TARGET = Target("http://10.0.0.5:8265", "attached")


@pytest.fixture
def recorded(isolated_history: Path) -> str:
    return record_ended_cluster(store.history_dir(), TARGET)


def replay_app(name: str) -> SovtuiApp:
    return make_replay_app(open_replay(name), Settings(), monotonic=frozen_monotonic)


def files_of(directory: Path) -> dict[str, tuple[int, int]]:
    """The recordings' files as they were (a reader in WAL mode may add an empty -wal/-shm
    pair: SQLite's own, not a write to the recording)."""
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns)
        for p in directory.iterdir()
        if not p.name.endswith(("-wal", "-shm"))
    }


async def test_replay_shows_the_last_poll_and_sends_nothing(recorded: str) -> None:
    directory = store.history_dir()
    before = files_of(directory)
    app = replay_app(SESSION)  # by session name; the key and the address work too
    client = app.connection.client
    assert isinstance(client, ReplayClient)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(NodeTable).row_count == 3)
        assert app.title.startswith(f"REPLAY · {recorded} · recorded 2026-11-21 02:40\u201302:49")
        assert app.settings.readonly and not app.services.poll
        nodes = app.screen.query_one(NodeTable)
        assert "ALIVE" in str(nodes.get_row_at(0)) and "head" in str(nodes.get_row_at(0))
        jobs = app.screen.query_one(JobsTable)
        statuses = {str(jobs.get_row(key)[1]) for key in ("raysubmit_ok", "raysubmit_bad")}
        assert statuses == {"SUCCEEDED", "FAILED"}
        assert str(jobs.get_row("raysubmit_late")[1]) == "RUNNING"
        assert "1 running / 3" in str(jobs.border_title)
        # The plots: the recorded series, ending at the last poll.
        plot = app.screen.query_one("#cpu-plot", HistoryPlot)
        await wait_for(pilot, lambda: bool(list(plot.query(HistoryCanvas))))
        canvas = plot.query_one(HistoryCanvas)
        await wait_for(pilot, lambda: bool(canvas._series_points().get("host")))
        host = canvas._series_points()["host"]
        assert max(y for _, y in host) == pytest.approx(80.0)
        assert min(y for _, y in host) == pytest.approx(5.0)
        # A job: its recorded end of log and its efficiency note; nothing asked.
        jobs.focus()
        jobs.move_cursor(row=jobs.get_row_index("raysubmit_bad"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobScreen))
        efficiency = app.screen.query_one("#job-efficiency")
        await wait_for(pilot, lambda: efficiency.display, what="the efficiency note")
        assert "of 6 cores over 3 min" in str(efficiency.render())
        log = app.screen.query_one("#job-log")
        assert "out of memory" in "\n".join(log.tail(10))  # type: ignore[attr-defined]
        await pilot.press("escape")
        # What needs a live cluster says so and stays where it is.
        for key in ("2", "3", "4", "5", "P", "l"):
            await pilot.press(key)
        await wait_for(pilot, lambda: len(app._notifications) >= 6)
        messages = [n.message for n in app._notifications]
        assert all("not available in a replay" in m for m in messages), messages
        assert app.current_mode == "dashboard"
        assert not await app.run_command("actors")
    assert client.refused == 0 and client._http is None  # no request, not even a client
    assert files_of(directory) == before  # nothing written to the recording


def test_replay_of_an_unknown_cluster_is_one_line_exit_2(
    recorded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--replay", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "nosuch" in err and "sovtui history" in err


def test_history_marks_what_can_be_replayed(
    recorded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history"]) == 0
    assert f"replay: sovtui --replay {recorded}" in capsys.readouterr().out
    assert main(["history", "--json"]) == 0
    assert '"replayable": true' in capsys.readouterr().out


def test_replay_by_address_ends_at_the_last_poll(recorded: str) -> None:
    replay = open_replay("http://10.0.0.5:8265")
    assert replay.info.key == recorded
    assert replay.last == pytest.approx(REPLAY_T0 + 595)
    assert replay.snapshot.taken_at == replay.last
    assert replay.snapshot.totals["CPU"].total > 0
    assert replay.note("raysubmit_late") is not None
    points = replay.points(300.0)["cpu_physical_pct"]
    assert points and points[-1][0] <= replay.last and points[0][0] >= replay.last - 300
