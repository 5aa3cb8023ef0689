"""Snapshots of the Cluster screen with a fixed driver (the behaviour tests use real Docker)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from sovtui.tui import app as tui_app
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.cluster import ClusterScreen
from tests.conftest import FROZEN_NOW, recorded_connection
from tests.fake_driver import FixedDriver
from tests.pilot_helpers import settle
from tests.recorded import RAY_260, RecordedRay


def make_app() -> SovtuiApp:
    return tui_app.make_app(
        recorded_connection(RecordedRay(RAY_260)),
        Settings(interval=3600),
        cluster_driver=FixedDriver,
        compose_project="demo",
        clock=lambda: FROZEN_NOW,
        monotonic=lambda: 1000.0,
    )


async def until_listed(pilot: Pilot[None]) -> None:
    await pilot.press("2")
    for _ in range(100):
        screen = pilot.app.screen
        if isinstance(screen, ClusterScreen) and screen.polled:
            break
        await pilot.pause(0.05)
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_cluster_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=until_listed)


def test_up_modal(snap_compare: Any) -> None:
    async def open_up(pilot: Pilot[None]) -> None:
        await until_listed(pilot)
        await pilot.press("u")
        await pilot.pause(0.2)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_up)
