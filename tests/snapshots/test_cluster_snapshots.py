"""Snapshots of the Cluster screen with a fixed driver (the behaviour tests use real Docker)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.cluster import ClusterScreen
from sovtui.tui.screens.cluster_modals import UpScreen
from tests.support.app_factory import AppFactory
from tests.support.clocks import frozen_monotonic
from tests.support.fixed_driver import FixedDriver
from tests.support.waiting import settle, wait_for


def cluster_app(app_factory: AppFactory) -> SovtuiApp:
    return app_factory(
        settings=Settings(interval=3600),
        cluster_driver=FixedDriver,
        compose_project="demo",
        monotonic=frozen_monotonic,
    )


def listed(screen: object) -> bool:
    return isinstance(screen, ClusterScreen) and screen.polled


async def until_listed(pilot: Pilot[None]) -> None:
    await pilot.press("2")
    await wait_for(pilot, lambda: listed(pilot.app.screen), what="the first container listing")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_cluster_screen(snap_compare: Any, app_factory: AppFactory, size: tuple[int, int]) -> None:
    app = cluster_app(app_factory)
    assert snap_compare(app, terminal_size=size, run_before=until_listed)


def test_up_modal(snap_compare: Any, app_factory: AppFactory) -> None:
    async def open_up(pilot: Pilot[None]) -> None:
        await until_listed(pilot)
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, UpScreen))
        await settle(pilot)

    assert snap_compare(cluster_app(app_factory), terminal_size=(80, 24), run_before=open_up)
