"""The TUI against hostile servers: a timeout and an over-size answer are states with backoff,
never a hang at "connecting..." or a crash (issue 9: defects 6 and 7)."""

from __future__ import annotations

from sovtui.cluster.connect import MODE_ATTACHED, Connection
from sovtui.ray_api.client import MIB, DashboardClient
from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp, make_app
from sovtui.tui.widgets.connection_banner import ConnectionBanner
from tests.conftest import FROZEN_NOW, no_token
from tests.hostile_http import Behaviour, HostileServer


def app_for(server: HostileServer) -> SovtuiApp:
    client = DashboardClient(server.url, no_token(), timeout=1.0, max_bytes=1 * MIB)
    connection = Connection(client, MODE_ATTACHED, "--address")
    return make_app(
        connection, Settings(interval=2.0), clock=lambda: FROZEN_NOW, monotonic=lambda: 1000.0
    )


def banner_text(app: SovtuiApp) -> str:
    return str(app.screen.query_one(ConnectionBanner).render())


async def test_a_dripping_dashboard_is_a_timeout_with_backoff() -> None:
    with HostileServer(Behaviour("drip", max_seconds=15)) as server:
        app = app_for(server)
        async with app.run_test() as pilot:
            for _ in range(40):
                await pilot.pause(0.1)
                if app.link.state != "connecting":
                    break
            assert app.link.state == "timed out"
            assert app.link.retry_at == 1002.0  # backs off: the next try is one interval away
            assert "timed out, retrying in 2 s" in banner_text(app)
            assert app.is_running


async def test_an_endless_answer_is_too_large_not_fatal() -> None:
    with HostileServer(Behaviour("endless", max_seconds=15)) as server:
        app = app_for(server)
        async with app.run_test() as pilot:
            for _ in range(40):
                await pilot.pause(0.1)
                if app.link.state != "connecting":
                    break
            assert app.link.state == "bad response"
            assert "answer too large (> 1 MiB)" in banner_text(app)
            assert app.is_running
