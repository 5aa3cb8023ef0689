"""Faults are states on screen: disconnected with backoff, bad answers, refused tokens."""

from __future__ import annotations

import httpx

from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.widgets.connection_banner import ConnectionBanner
from sovtui.tui.widgets.node_table import NodeTable
from tests.support.app_factory import AppFactory
from tests.support.recorded_ray import RecordedRay
from tests.support.waiting import busy_workers, idle, wait_for, wait_for_poll, wait_for_workers


def banner_text(app: SovtuiApp) -> str:
    return str(app.screen.query_one(ConnectionBanner).render())


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("Connection refused", request=request)


async def test_disconnected_backs_off_then_recovers(
    recorded_ray: RecordedRay, app_factory: AppFactory
) -> None:
    now = [1000.0]
    recorded_ray.failing = refused
    app = app_factory(settings=Settings(interval=2.0, max_backoff=30), monotonic=lambda: now[0])
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.link.state == "disconnected")
        assert "disconnected, retrying in 2 s" in banner_text(app)
        # Ticks before the retry time do not poll: the poller backs off.
        await wait_for_workers(pilot, "poll")
        calls = len(recorded_ray.requests)
        app._tick()
        assert not busy_workers(pilot, "poll")
        await idle(pilot)
        assert len(recorded_ray.requests) == calls
        now[0] += 2.5
        app._tick()
        await wait_for(pilot, lambda: app.link.failures == 2)
        assert "retrying in 4 s" in banner_text(app)
        # The cluster comes up: the next due poll recovers by itself.
        recorded_ray.failing = None
        now[0] += 4.5
        app._tick()
        await wait_for(pilot, lambda: app.link.healthy)
        assert not app.screen.query_one(ConnectionBanner).display
        assert app.screen.query_one(NodeTable).row_count == 1


async def test_html_answer_is_reported_not_fatal(
    recorded_ray: RecordedRay, app_factory: AppFactory
) -> None:
    recorded_ray.failing = lambda request: httpx.Response(
        200, text="<html>router login</html>", headers={"content-type": "text/html"}
    )
    app = app_factory()
    async with app.run_test() as pilot:
        await wait_for_poll(pilot)
        assert app.link.state == "bad response"
        assert "HTML page, not a Ray dashboard" in banner_text(app)
        assert app.is_running


async def test_garbage_json_is_reported(recorded_ray: RecordedRay, app_factory: AppFactory) -> None:
    recorded_ray.failing = lambda request: httpx.Response(
        200, content=b"\x00\xffgarbage", headers={"content-type": "application/json"}
    )
    app = app_factory()
    async with app.run_test() as pilot:
        await wait_for_poll(pilot)
        assert app.link.state == "bad response"
        assert "not JSON" in banner_text(app)


async def test_404_is_reported(recorded_ray: RecordedRay, app_factory: AppFactory) -> None:
    recorded_ray.failing = lambda request: httpx.Response(404, text="Not Found")
    app = app_factory()
    async with app.run_test() as pilot:
        await wait_for_poll(pilot)
        assert "is this a Ray dashboard?" in banner_text(app)


async def test_401_and_403_explain_the_token(
    recorded_ray: RecordedRay, app_factory: AppFactory
) -> None:
    recorded_ray.failing = lambda request: httpx.Response(401, text="Unauthorized")
    app = app_factory()
    async with app.run_test(size=(200, 30)) as pilot:
        await wait_for_poll(pilot)
        assert app.link.state == "unauthorized"
        text = banner_text(app)
        assert "none was found" in text and "auth_token" in text
        recorded_ray.failing = lambda request: httpx.Response(403, text="Forbidden")
        await pilot.press("r")
        await wait_for(pilot, lambda: "token is wrong" in banner_text(app))
