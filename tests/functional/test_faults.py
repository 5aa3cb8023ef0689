"""Faults are states on screen: disconnected with backoff, bad answers, refused tokens."""

from __future__ import annotations

import httpx

from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp, make_app
from sovtui.tui.widgets.connection_banner import ConnectionBanner
from sovtui.tui.widgets.node_table import NodeTable
from tests.conftest import FROZEN_NOW, recorded_connection
from tests.manual_time import ManualTime
from tests.pilot_helpers import wait_for
from tests.recorded import RecordedRay


def banner_text(app: SovtuiApp) -> str:
    return str(app.screen.query_one(ConnectionBanner).render())


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("Connection refused", request=request)


async def test_disconnected_backs_off_then_recovers(recorded_ray: RecordedRay) -> None:
    time = ManualTime()  # the polling model's timer moves only when this test moves it
    recorded_ray.failing = refused
    app = make_app(
        recorded_connection(recorded_ray),
        Settings(interval=2.0, max_backoff=30),
        clock=lambda: FROZEN_NOW,
        monotonic=time.monotonic,
        sleep=time.sleep,
    )
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.link.state == "disconnected" and time.sleeping)
        assert "disconnected, retrying in 2 s" in banner_text(app)
        assert time.slept == [2.0]
        # The next poll comes when the backoff is over, and fails again: twice as long.
        time.advance(2.0)
        await wait_for(pilot, lambda: app.link.failures == 2 and time.sleeping)
        assert time.slept == [2.0, 4.0]
        assert "retrying in 4 s" in banner_text(app)
        # The cluster comes up: the next due poll recovers by itself.
        recorded_ray.failing = None
        time.advance(4.0)
        await wait_for(pilot, lambda: app.link.healthy)
        await wait_for(pilot, lambda: app.screen.query_one(NodeTable).row_count == 1)
        assert not app.screen.query_one(ConnectionBanner).display


async def test_html_answer_is_reported_not_fatal(recorded_ray: RecordedRay) -> None:
    recorded_ray.failing = lambda request: httpx.Response(
        200, text="<html>router login</html>", headers={"content-type": "text/html"}
    )
    app = make_app(recorded_connection(recorded_ray), Settings(), clock=lambda: FROZEN_NOW)
    async with app.run_test() as pilot:
        await pilot.pause(0.3)
        assert app.link.state == "bad response"
        assert "HTML page, not a Ray dashboard" in banner_text(app)
        assert app.is_running


async def test_garbage_json_is_reported(recorded_ray: RecordedRay) -> None:
    recorded_ray.failing = lambda request: httpx.Response(
        200, content=b"\x00\xffgarbage", headers={"content-type": "application/json"}
    )
    app = make_app(recorded_connection(recorded_ray), Settings(), clock=lambda: FROZEN_NOW)
    async with app.run_test() as pilot:
        await pilot.pause(0.3)
        assert app.link.state == "bad response"
        assert "not JSON" in banner_text(app)


async def test_404_is_reported(recorded_ray: RecordedRay) -> None:
    recorded_ray.failing = lambda request: httpx.Response(404, text="Not Found")
    app = make_app(recorded_connection(recorded_ray), Settings(), clock=lambda: FROZEN_NOW)
    async with app.run_test() as pilot:
        await pilot.pause(0.3)
        assert "is this a Ray dashboard?" in banner_text(app)


async def test_401_and_403_explain_the_token(recorded_ray: RecordedRay) -> None:
    recorded_ray.failing = lambda request: httpx.Response(401, text="Unauthorized")
    app = make_app(recorded_connection(recorded_ray), Settings(), clock=lambda: FROZEN_NOW)
    async with app.run_test(size=(200, 30)) as pilot:
        await pilot.pause(0.3)
        assert app.link.state == "unauthorized"
        text = banner_text(app)
        assert "none was found" in text and "auth_token" in text
        recorded_ray.failing = lambda request: httpx.Response(403, text="Forbidden")
        await pilot.press("r")
        await pilot.pause(0.3)
        assert "token is wrong" in banner_text(app)
