"""Snapshots of the Clusters screen with fixed data: saved contexts, fixed health, fixed jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.clusters import ClustersScreen
from tests.support.app_factory import AppFactory
from tests.support.clocks import frozen_monotonic
from tests.support.clusters_data import fixed_health, fixed_jobs, saved_only, two_labs
from tests.support.waiting import settle, wait_for


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slurm records other tests of the run left in the shared state dir are not these tests'."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def clusters_app(app_factory: AppFactory) -> SovtuiApp:
    return app_factory(
        settings=two_labs(interval=3600),
        contexts=saved_only,
        probe=fixed_health,
        slurm_jobs=fixed_jobs(),
        monotonic=frozen_monotonic,
    )


def listed(screen: object) -> bool:
    return (
        isinstance(screen, ClustersScreen)
        and screen.contexts_view is not None
        and screen.slurm_view is not None
    )


async def until_listed(pilot: Pilot[None]) -> None:
    await pilot.press("5")
    await wait_for(pilot, lambda: listed(pilot.app.screen), what="contexts and Slurm jobs")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_clusters_screen(snap_compare: Any, app_factory: AppFactory, size: tuple[int, int]) -> None:
    assert snap_compare(clusters_app(app_factory), terminal_size=size, run_before=until_listed)
