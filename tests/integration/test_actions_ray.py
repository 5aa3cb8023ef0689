"""Killing a named actor from the TUI by keyboard, against a real Ray head: read-only refuses
it, then ctrl+k, k, y turns it DEAD with reason RAY_KILL. The actor is this test's own (a
detached one in its own namespace), so the explorer tests' driver and counts are untouched."""

from __future__ import annotations

import asyncio
import time

import pytest

from sovtui.cluster.connect import MODE_EMBEDDED, Connection
from sovtui.cluster.embedded_head import EmbeddedHead
from sovtui.ray_api.auth import explicit_token
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.state import StateApi, StateFilter
from sovtui.settings.model import Settings
from sovtui.tui.screens.actor_pick import ActorPickScreen
from sovtui.tui.screens.confirm import ConfirmScreen
from tests.support.app_factory import make_app
from tests.support.ray_cli import ray_job_submit
from tests.support.waiting import settle, wait_for, wait_for_workers

pytestmark = pytest.mark.ray

TARGET = "sovtui-kill-me"
MAKE_TARGET = f"""
import ray
ray.init(namespace="sovtui-actions")


@ray.remote(num_cpus=0)
class Target:
    def ping(self):
        return 1


target = Target.options(name="{TARGET}", lifetime="detached").remote()
ray.get(target.ping.remote())
print("READY")
"""


async def counter_of(connection: Connection) -> tuple[str, str, str]:
    """(actor id, state, death reason) of the live, else last, actor named TARGET."""
    found = await StateApi(connection.client).actors(
        [StateFilter("name", "=", TARGET)], limit=100, detail=True
    )
    rows = sorted(found.items, key=lambda actor: actor.state != "ALIVE")
    actor = rows[0]
    reason = actor.death_cause.reason if actor.death_cause else ""
    return actor.actor_id, actor.state, reason or ""


def connect(head: EmbeddedHead) -> Connection:
    """A connection of its own: an app closes its client when it exits."""
    token = explicit_token(head.token, "test head")
    return Connection(DashboardClient(head.dashboard_url, token, timeout=10), MODE_EMBEDDED, "head")


async def test_kill_an_actor_by_keyboard(ray_head: EmbeddedHead) -> None:
    await asyncio.to_thread(
        ray_job_submit, ray_head, f"actions-target-{time.monotonic_ns()}", MAKE_TARGET
    )
    ray_connection = connect(ray_head)
    actor_id, state, _ = await counter_of(ray_connection)
    assert state == "ALIVE"

    readonly = make_app(connect(ray_head), Settings(interval=2.0, readonly=True))
    async with readonly.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+k")
        picker = readonly.screen
        assert isinstance(picker, ActorPickScreen)
        await wait_for(pilot, lambda: picker.select(actor_id))
        await pilot.press("k")
        await settle(pilot)
        assert not isinstance(readonly.screen, ConfirmScreen)
    assert (await counter_of(ray_connection))[1] == "ALIVE"  # read-only left it alone

    app = make_app(connect(ray_head), Settings(interval=2.0))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+k")
        screen = app.screen
        assert isinstance(screen, ActorPickScreen)
        await wait_for(pilot, lambda: screen.select(actor_id))
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")

        async def dead() -> bool:
            return (await counter_of(ray_connection))[1] == "DEAD"

        deadline = asyncio.get_running_loop().time() + 90
        while not await dead():
            assert asyncio.get_running_loop().time() < deadline, "the actor never died"
            await pilot.pause(0.5)  # a polling period: the condition decides
        await wait_for_workers(pilot, "kill-actor", timeout=60)  # the helper job deleted
    killed = await counter_of(ray_connection)
    await ray_connection.client.aclose()
    assert killed == (actor_id, "DEAD", "RAY_KILL")
