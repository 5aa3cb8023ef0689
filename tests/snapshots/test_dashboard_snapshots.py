"""Snapshot tests of the dashboard on answers recorded from a real Ray 2.60 head, frozen clock."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from tests.support.app_factory import AppFactory
from tests.support.clocks import frozen_monotonic
from tests.support.recorded_ray import RAY_260_V2, RecordedRay
from tests.support.waiting import settle, wait_for_poll


def settings(theme: str = "sovtui-dark") -> Settings:
    return Settings(interval=3600, history_points=10, theme=theme)


async def until_polled(pilot: Pilot[None]) -> None:
    await wait_for_poll(pilot)
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_dashboard(snap_compare: Any, app_factory: AppFactory, size: tuple[int, int]) -> None:
    app = app_factory(settings=settings(), monotonic=frozen_monotonic)
    assert snap_compare(app, terminal_size=size, run_before=until_polled)


def test_dashboard_autoscaler_v2(snap_compare: Any, app_factory: AppFactory) -> None:
    recorded = RecordedRay(RAY_260_V2)
    app = app_factory(settings=settings(), recorded=recorded, monotonic=frozen_monotonic)
    assert snap_compare(app, terminal_size=(120, 40), run_before=until_polled)


def test_dashboard_ascii_light_theme(snap_compare: Any, app_factory: AppFactory) -> None:
    app = app_factory(
        settings=settings("sovtui-light"), ascii_only=True, monotonic=frozen_monotonic
    )
    assert snap_compare(app, terminal_size=(100, 30), run_before=until_polled)


def test_help_screen(snap_compare: Any, app_factory: AppFactory) -> None:
    app = app_factory(settings=settings(), monotonic=frozen_monotonic)
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"])
