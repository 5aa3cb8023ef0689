"""The Cluster screen (2) driven by the keyboard against the REAL Docker engine.

The up/scale/down test skips when no engine answers or the image is missing (fails under
CI=true) and removes whatever carries its project label in a finalizer. The no-engine tests
need no Docker at all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Log, OptionList

from sovtui.cluster.compose.docker_driver import ComposeDriver
from sovtui.cluster.connect import MODE_ATTACHED, MODE_COMPOSE, Connection
from sovtui.cluster.driver_api import ClusterDriverFactory
from sovtui.ray_api.client import DashboardClient
from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.cluster import ClusterScreen
from sovtui.tui.screens.cluster_modals import LogsScreen, UpScreen
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.widgets.container_table import ContainerTable
from tests.support import waiting
from tests.support.app_factory import AppFactory
from tests.support.docker_env import (
    CPU_FILE,
    cluster_env,
    engine_or_skip,
    free_port,
    leftovers,
    new_project,
    purge,
)
from tests.support.tokens import no_token


def unreachable_connection() -> Connection:
    """Attached to a port nobody listens on: the dashboard shows 'disconnected' until `up`."""
    client = DashboardClient(f"http://127.0.0.1:{free_port()}", no_token(), timeout=2)
    return Connection(client, MODE_ATTACHED, "--address")


def cluster_screen(app: SovtuiApp) -> ClusterScreen:
    screen = app.screen
    assert isinstance(screen, ClusterScreen)
    return screen


def cluster_app(
    app_factory: AppFactory, project: str, driver: ClusterDriverFactory | None = ComposeDriver
) -> SovtuiApp:
    return app_factory(
        unreachable_connection(),
        Settings(interval=1.0, max_backoff=5.0),
        cluster_driver=driver,
        compose_project=project,
    )


def notes(app: SovtuiApp) -> str:
    return "\n".join(str(note.message) for note in app._notifications)


def progress_text(screen: ClusterScreen) -> str:
    return "\n".join(line.text for line in screen.query_one("#cluster-progress").lines)  # type: ignore[attr-defined]


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], bool], seconds: float, what: str
) -> None:
    """Waits as tests/support does, and on a timeout shows the driver's progress and notes.

    Docker changes state in seconds: a check every 0.25 s leaves the CPU to the engine."""

    def details() -> str:
        screen = pilot.app.screen
        shown = progress_text(screen) if isinstance(screen, ClusterScreen) else ""
        return f"{shown}\n{notes(pilot.app)}"  # type: ignore[arg-type]

    await waiting.wait_for(pilot, condition, seconds, what=what, details=details, every=0.25)


def running(screen: ClusterScreen, service: str) -> int:
    containers = screen.query_one(ContainerTable).containers or ()
    return sum(1 for c in containers if c.service == service and c.state == "running")


@pytest.mark.docker
async def test_up_scale_logs_down_from_the_keyboard(
    app_factory: AppFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    engine = engine_or_skip()
    cluster_env(monkeypatch, tmp_path)
    project = new_project("sovtui-tui")
    request.addfinalizer(lambda: purge(engine, project))
    app = cluster_app(app_factory, project)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        screen = cluster_screen(app)
        await wait_for(pilot, lambda: screen.polled, 30, "the first container listing")
        assert screen.problem is None and screen.record is None

        # u: pick the CPU file and 1 worker, keyboard only.
        await pilot.press("u")
        modal = app.screen
        assert isinstance(modal, UpScreen)
        files = modal.query_one(OptionList)
        for _ in range(files.option_count):
            highlighted = files.get_option_at_index(files.highlighted or 0)
            if highlighted.id == str(CPU_FILE):
                break
            await pilot.press("down")
        assert files.get_option_at_index(files.highlighted or 0).id == str(CPU_FILE)
        await pilot.press("enter")  # the file; focus moves to the worker count
        await pilot.press("backspace", "1", "enter")
        assert app.screen is screen

        def head_and_workers(workers: int) -> bool:
            return running(screen, "ray-head") == 1 and running(screen, "ray-worker") == workers

        await wait_for(
            pilot,
            lambda: screen.operation is None and head_and_workers(1),
            150,
            "head + 1 worker running",
        )
        # The screen asked the App to watch the new cluster; the App answers by retitling.
        await wait_for(
            pilot, lambda: f"compose: {project}" in app.sub_title, 10, "the dashboard to switch"
        )
        assert app.connection.mode == MODE_COMPOSE and app.connection.project == project
        shown = progress_text(screen)  # the driver's progress, shown as it came
        assert "waiting for the GCS" in shown and "nodes ALIVE" in shown
        await wait_for(pilot, lambda: app.link.healthy, 30, "the dashboard to poll the cluster")

        # l: the selected container's last log lines, refreshable.
        await pilot.press("l")
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        await wait_for(pilot, lambda: logs.query_one(Log).line_count > 1, 20, "log lines")
        await pilot.press("r")
        await wait_for(pilot, lambda: logs.query_one(Log).line_count > 1, 20, "log lines again")
        await pilot.press("escape")
        assert app.screen is screen

        # +: one more worker.
        await pilot.press("plus")
        await wait_for(
            pilot,
            lambda: screen.operation is None and head_and_workers(2),
            120,
            "2 workers running",
        )

        # d + y: everything with the project label goes; the dashboard goes back.
        await pilot.press("d")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: screen.operation is None and leftovers(engine, project) == ([], []),
            90,
            "down to remove every labelled container and network",
        )
        await wait_for(
            pilot, lambda: "compose" not in app.sub_title, 10, "the dashboard to switch back"
        )
        assert app.connection.mode == MODE_ATTACHED
        assert "failed" not in progress_text(screen)


async def test_no_engine_shows_where_it_looked_and_keeps_running(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent")
    app = cluster_app(app_factory, "sovtui-none")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        screen = cluster_screen(app)
        await wait_for(pilot, lambda: screen.problem is not None, 30, "the no-engine message")
        status = str(screen.query_one("#cluster-status").render())
        assert "DOCKER_HOST=unix:///nonexistent" in status
        assert "embedded" in status and "attached" in status
        for key in ("u", "plus", "minus", "d", "l"):
            await pilot.press(key)
            assert app.screen is screen  # no modal, no crash
        assert "needs Docker" in notes(app)
        await pilot.press("1")
        assert isinstance(app.screen, DashboardScreen)
        assert app.is_running


async def test_palette_cluster_action_goes_to_the_screen(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent")
    app = cluster_app(app_factory, "sovtui-none")
    async with app.run_test() as pilot:
        await app.run_action("cluster('refresh_containers')")
        await wait_for(pilot, lambda: isinstance(app.screen, ClusterScreen), 10, "Cluster screen")


async def test_without_a_driver_the_screen_says_so(app_factory: AppFactory) -> None:
    app = cluster_app(app_factory, "sovtui-none", driver=None)
    async with app.run_test() as pilot:
        await pilot.press("2", "u")
        screen = cluster_screen(app)
        assert "without a Docker driver" in str(screen.query_one("#cluster-status").render())
        assert "needs Docker" in notes(app)
