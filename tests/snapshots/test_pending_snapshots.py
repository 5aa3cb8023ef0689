"""Snapshots of the why-is-it-pending view on answers recorded from a real Ray 2.60 head."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from sovtui.tui.screens.pending import PendingScreen
from tests.support.app_factory import make_app
from tests.support.clocks import frozen_monotonic
from tests.support.recorded_explorer import RecordedExplorer
from tests.support.waiting import settle, wait_for, wait_for_poll


async def pending_shown(pilot: Pilot[None]) -> None:
    await wait_for_poll(pilot)
    await pilot.press("P")
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, PendingScreen) and app.screen.report is not None
    )
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_pending_view(snap_compare: Any, size: tuple[int, int]) -> None:
    app = make_app(
        settings=Settings(interval=3600, history_points=10),
        recorded=RecordedExplorer(),
        monotonic=frozen_monotonic,
    )
    assert snap_compare(app, terminal_size=size, run_before=pending_shown)
