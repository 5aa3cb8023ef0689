"""Snapshot tests of `sovtui --replay`: a recorded 3-node cluster's last poll and its plots;
the clock is the recording's own last poll."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from sovtui.monitor.replay import open_replay
from sovtui.recorder import store
from sovtui.recorder.identity import Target
from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp, make_replay_app
from sovtui.tui.widgets.history_canvas import HistoryCanvas
from sovtui.tui.widgets.node_table import NodeTable
from tests.support.clocks import frozen_monotonic
from tests.support.recorder_data import SESSION, record_ended_cluster
from tests.support.waiting import settle, wait_for


async def until_drawn(pilot: Pilot[None]) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.screen.query_one(NodeTable).row_count == 3)

    await wait_for(
        pilot,
        lambda: (
            len(canvases := app.screen.query(HistoryCanvas)) == 2
            and all(any(c._series_points().values()) for c in canvases)
        ),
        what="both plots given the recording",
    )
    await settle(pilot)
    for canvas in app.screen.query(HistoryCanvas):
        canvas.replot(force=True)
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_replay(snap_compare: Any, isolated_history: Path, size: tuple[int, int]) -> None:
    record_ended_cluster(store.history_dir(), Target("http://10.0.0.5:8265", "attached"))
    app: SovtuiApp = make_replay_app(open_replay(SESSION), Settings(), monotonic=frozen_monotonic)
    assert snap_compare(app, terminal_size=size, run_before=until_drawn)
