"""The dashboard and the flight recorder: it records each poll, draws the recorded past after a
restart, zooms with `z`, shows a job's efficiency note, and warns (and goes on) when it cannot
record. Each test's XDG state dir is its own (tests/conftest.py), so recordings start empty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from sovtui.cluster.connect import Connection
from sovtui.ray_api.models import JobDetails
from sovtui.recorder import store
from sovtui.recorder.identity import Target
from sovtui.recorder.recorder import Recorder
from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.job import JobScreen
from sovtui.tui.widgets.history_canvas import HistoryCanvas
from sovtui.tui.widgets.history_plot import HistoryPlot
from tests.support.app_factory import AppFactory
from tests.support.clocks import FROZEN_NOW, frozen_monotonic, frozen_now
from tests.support.recorded_ray import RAY_260_JOBS, load, recorded_connection
from tests.support.recorder_data import SESSION, snapshot
from tests.support.waiting import wait_for, wait_for_poll

SETTINGS = Settings()  # 2 s polls, a 300-point ring: a 10 min window


def prerecord(connection: Connection, snapshots: list[Any]) -> Path:
    """What an earlier sovtui recorded at this address (the same Ray session)."""
    recorder = Recorder(Target.of_connection(connection), SETTINGS.history, clock=frozen_now)
    for count, taken in enumerate(snapshots, 1):
        recorder.submit(taken)
        if count % 32 == 0:  # the queue holds 64: more at once would be dropped
            assert recorder.flush()
    assert recorder.flush() and recorder.dropped == 0
    path = recorder.path
    recorder.close()
    assert path is not None and recorder.state.kind == "off", recorder.state
    return path


def new_app(app_factory: AppFactory, connection: Connection) -> SovtuiApp:
    return app_factory(connection, SETTINGS, clock=frozen_now, monotonic=frozen_monotonic)


def canvas_points(app: SovtuiApp, plot_id: str = "#cpu-plot") -> dict[str, Any]:
    plot = app.screen.query_one(plot_id, HistoryPlot)
    canvases = list(plot.query(HistoryCanvas))
    return canvases[0]._series_points() if canvases else {}


def oldest_x(points: dict[str, Any]) -> float:
    return min((x for series in points.values() for x, _ in series), default=0.0)


async def test_a_restart_keeps_the_plots_points(app_factory: AppFactory) -> None:
    connection = recorded_connection(app_factory.recorded)
    # Polls every 20 s over the 8 minutes before now.
    prerecord(connection, [snapshot(FROZEN_NOW - 480 + 20 * i, cpu=30.0) for i in range(24)])
    app = new_app(app_factory, connection)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        await wait_for(
            pilot,
            lambda: oldest_x(canvas_points(app)) <= -400,
            what="the recorded past on the CPU plot",
            details=lambda: repr(canvas_points(app)),
        )
        host = canvas_points(app)["host"]
        assert any(abs(y - 30.0) < 0.5 for x, y in host if x < -60)  # recorded, not live


async def test_z_zooms_out_and_a_spike_survives(app_factory: AppFactory) -> None:
    connection = recorded_connection(app_factory.recorded)
    polls = [snapshot(FROZEN_NOW - 3000 + 10 * i, cpu=10.0) for i in range(290)]
    polls[120] = snapshot(polls[120].taken_at, cpu=95.0)  # one poll's spike, 30 min ago
    prerecord(connection, polls)
    app = new_app(app_factory, connection)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        plot = app.screen.query_one("#cpu-plot", HistoryPlot)
        assert plot.border_subtitle == "last 10m00s → now"
        await pilot.press("z")
        assert plot.border_subtitle == "last 1h00m → now"
        assert plot.window_seconds == 3600

        def spike() -> bool:
            return any(y >= 94 and x < -1500 for x, y in canvas_points(app).get("host", []))

        await wait_for(
            pilot, spike, what="the spike at 1 h", details=lambda: repr(canvas_points(app))
        )
        for _ in range(4):  # 6 h, 24 h, 7 d, then back to 5 min
            await pilot.press("z")
        assert plot.border_subtitle == "last 5m00s → now"


def recorded_job() -> JobDetails:
    index = load(RAY_260_JOBS, "index.json")
    raw = load(RAY_260_JOBS, f"jobs/{index['succeeded']}.json")
    return TypeAdapter(JobDetails).validate_python(raw)


async def test_the_job_screen_shows_the_efficiency_note(app_factory: AppFactory) -> None:
    connection = recorded_connection(app_factory.recorded)
    job = recorded_job()
    assert job.start_time is not None and job.end_time is not None
    start, end = job.start_time / 1000, job.end_time / 1000
    running = job.model_copy(update={"status": "RUNNING", "end_time": None})
    ids = frozenset({job.job_id or ""})
    polls = [
        snapshot(start + t, cpu=40.0, jobs=(running,), job_ids=ids)
        for t in range(0, int(end - start) + 1, 2)
    ]
    polls.append(snapshot(end + 1, cpu=40.0, jobs=(job,), job_ids=ids))
    prerecord(connection, polls)
    app = new_app(app_factory, connection)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        key = job.submission_id or job.job_id or ""
        await app.push_screen(JobScreen(app.services, key, job))
        note = app.screen.query_one("#job-efficiency")
        await wait_for(pilot, lambda: note.display, what="the efficiency note")
        text = str(note.render())
        assert text.startswith("Efficiency: CPU 40% of"), text


def notifications(app: SovtuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_locked_recording_warns_and_the_dashboard_keeps_polling(
    app_factory: AppFactory,
) -> None:
    connection = recorded_connection(app_factory.recorded)
    db = store.db_path(Target.of_connection(connection).key(SESSION))
    db.parent.mkdir(parents=True, exist_ok=True)
    lock = store.WriterLock(db)  # another sovtui records this cluster
    try:
        app = new_app(app_factory, connection)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_poll(pilot)
            recorder = app.feed.recorder
            assert recorder is not None
            await wait_for(pilot, lambda: recorder.state.kind == "stopped")
            polls = app_factory.recorded.requests.count("/nodes")
            app.action_refresh()  # the next poll reports it
            await wait_for(
                pilot,
                lambda: any("another sovtui" in n for n in notifications(app)),
                what="the recorder's warning",
                details=lambda: repr(notifications(app)),
            )
            await wait_for(pilot, lambda: app_factory.recorded.requests.count("/nodes") > polls)
            assert app.link.state == "connected"
    finally:
        lock.close()


async def test_the_dashboard_records_its_polls_and_ends_the_file_on_exit(
    app_factory: AppFactory,
) -> None:
    from sovtui.recorder.query import list_clusters

    connection = recorded_connection(app_factory.recorded)
    app = new_app(app_factory, connection)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        recorder = app.feed.recorder
        assert recorder is not None
        await wait_for(pilot, lambda: recorder.state.kind == "recording")
    assert app.feed.recorder is None  # closed on exit
    (cluster,) = list_clusters()
    assert cluster.session_name == SESSION
    assert cluster.recording_pid is None and cluster.ended == "sovtui stopped recording"


async def test_enter_on_a_node_opens_its_detail(app_factory: AppFactory) -> None:
    from dataclasses import replace

    from sovtui.tui.screens.node_detail import NodeDetailScreen
    from sovtui.tui.widgets.bench_plot import BenchPlot
    from sovtui.tui.widgets.node_table import NodeTable
    from tests.support.recorded_ray import RAY_260

    connection = recorded_connection(app_factory.recorded)
    live_id = load(RAY_260, "nodes_summary.json")["data"]["summary"][0]["raylet"]["nodeId"]

    def as_live_node(taken: Any) -> Any:  # recorder_data's nodes carry replicated ids
        return replace(taken, nodes=tuple(replace(n, node_id=live_id) for n in taken.nodes))

    polls = [
        as_live_node(snapshot(FROZEN_NOW - 600 + 10 * i, cpu=20.0, gpus=(0.0, 80.0)))
        for i in range(55)
    ]
    prerecord(connection, polls)
    app = new_app(app_factory, connection)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        app.screen.query_one(NodeTable).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, NodeDetailScreen))
        screen = app.screen
        assert isinstance(screen, NodeDetailScreen)
        await wait_for(pilot, lambda: bool(screen.plots), what="the node's recorded series")
        assert {"CPU %", "Memory %", "Network and disk MB/s", "GPU utilisation %"} <= set(
            screen.plots
        )
        cpu = screen.plots["CPU %"]["CPU"]
        recorded = [y for x, y in cpu if x < -30]  # the live poll is the last point
        assert recorded and all(abs(y - 20.0) < 0.5 for y in recorded), cpu
        assert set(screen.plots["GPU utilisation %"]) == {"GPU 0", "GPU 1"}
        gpu_plot = screen.query_one("#node-plot-3", BenchPlot)
        assert set(gpu_plot.data.lines) == {"GPU 0", "GPU 1"}
        workers = screen.query_one("#node-workers")
        assert workers.row_count == 3  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, NodeDetailScreen))
