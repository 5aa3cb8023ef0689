"""Faults are states on screen: disconnected with backoff, bad answers, refused tokens."""

from __future__ import annotations

import httpx

from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.widgets.connection_banner import ConnectionBanner
from sovtui.tui.widgets.node_table import NodeTable
from tests.support.app_factory import AppFactory
from tests.support.manual_time import ManualTime
from tests.support.recorded_ray import RAY_260, RecordedRay
from tests.support.waiting import idle, wait_for, wait_for_poll


def banner_text(app: SovtuiApp) -> str:
    return str(app.screen.query_one(ConnectionBanner).render())


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("Connection refused", request=request)


async def test_disconnected_backs_off_then_recovers(
    recorded_ray: RecordedRay, app_factory: AppFactory
) -> None:
    time = ManualTime()  # the polling model's timer moves only when this test moves it
    recorded_ray.failing = refused
    app = app_factory(
        settings=Settings(interval=2.0, max_backoff=30),
        monotonic=time.monotonic,
        sleep=time.sleep,
    )
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.link.state == "disconnected" and time.sleeping > 0)
        assert "disconnected, retrying in 2 s" in banner_text(app)
        assert time.slept == [2.0]
        # The next poll comes when the backoff is over, and fails again: twice as long.
        calls = len(recorded_ray.requests)
        time.advance(1.0)  # not yet due: nothing is asked
        await idle(pilot)
        assert len(recorded_ray.requests) == calls
        time.advance(1.0)
        await wait_for(pilot, lambda: app.link.failures == 2 and time.sleeping > 0)
        assert time.slept == [2.0, 4.0]
        assert "retrying in 4 s" in banner_text(app)
        # The cluster comes up: the next due poll recovers by itself.
        recorded_ray.failing = None
        time.advance(4.0)
        await wait_for(pilot, lambda: app.link.healthy)
        await wait_for(pilot, lambda: app.screen.query_one(NodeTable).row_count == 1)
        assert not app.screen.query_one(ConnectionBanner).display


async def test_slow_answers_poll_less_often_and_the_banner_says_why(
    recorded_ray: RecordedRay, app_factory: AppFactory
) -> None:
    time = ManualTime()
    answer_takes = [4.0]
    recorded = (RAY_260 / "nodes_summary.json").read_bytes()

    def slow_nodes(request: httpx.Request) -> httpx.Response:
        time.advance(answer_takes[0])  # the head takes this long to answer
        return httpx.Response(200, content=recorded, headers={"content-type": "application/json"})

    recorded_ray.override["/nodes"] = slow_nodes
    app = app_factory(
        settings=Settings(interval=2.0, max_backoff=30),
        monotonic=time.monotonic,
        sleep=time.sleep,
    )
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.link.slow and 12.0 in time.slept)
        banner = app.screen.query_one(ConnectionBanner)
        assert banner.display and not banner.has_class("-failing")
        assert "slow answers: polling every 16 s (the last took 4 s)" in banner_text(app)
        answer_takes[0] = 0.0  # quick again: back to the interval, the banner goes
        time.advance(12.0)
        await wait_for(pilot, lambda: not app.link.slow and time.slept[-1] == 2.0)
        assert not banner.display


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
