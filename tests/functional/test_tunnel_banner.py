"""A tunnel that is down is a state on screen: `tunnel down, retrying …` and healed by itself."""

from __future__ import annotations

from sovtui.cluster.ssh.tunnel import TunnelError
from sovtui.ray_api.errors import DashboardError
from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.widgets.connection_banner import ConnectionBanner
from tests.support.app_factory import make_app
from tests.support.clocks import FROZEN_NOW
from tests.support.manual_time import ManualTime
from tests.support.recorded_ray import RecordedRay, recorded_connection
from tests.support.waiting import wait_for


def banner_text(app: SovtuiApp) -> str:
    return str(app.screen.query_one(ConnectionBanner).render())


async def test_tunnel_down_is_shown_and_heals(recorded_ray: RecordedRay) -> None:
    time = ManualTime()
    down = [True]
    connection = recorded_connection(recorded_ray)

    def path_check(address: str, failure: str | None) -> DashboardError | None:
        if not down[0]:
            return None
        return TunnelError("ssh tunnel via login1 down, reconnecting in 0.4 s: ssh ended")

    connection.client.path_check = path_check  # what connect.py sets for a --via connection
    app = make_app(
        connection,
        Settings(interval=2.0, max_backoff=30),
        clock=lambda: FROZEN_NOW,
        monotonic=time.monotonic,
        sleep=time.sleep,
    )
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.link.state == "tunnel down")
        text = banner_text(app)
        assert "tunnel down, retrying in 2 s" in text
        assert "via login1 down, reconnecting" in text
        assert not recorded_ray.requests  # nothing was sent into a dead tunnel
        down[0] = False
        await wait_for(pilot, lambda: time.sleeping > 0)
        time.advance(2.0)
        await wait_for(pilot, lambda: app.link.healthy)
        assert not app.screen.query_one(ConnectionBanner).display
