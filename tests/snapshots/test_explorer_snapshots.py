"""Snapshots of every explorer view (actors, tasks, placement groups, objects, workers, events,
Serve), and of an actor's and a failed task's detail, on answers recorded from a real Ray 2.60
head (tests/recording/record_explorer_responses.py), frozen clock."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from sovtui.tui.screens.resources import DetailScreen, ResourceScreen
from tests.support.app_factory import make_app
from tests.support.clocks import frozen_monotonic
from tests.support.recorded_state import explorer_ray
from tests.support.waiting import settle, wait_for, wait_for_poll


def explorer_app() -> Any:
    """The app on the recorded explorer head, clock frozen; an hour between polls: one poll."""
    return make_app(
        settings=Settings(interval=3600, history_points=10),
        recorded=explorer_ray(),
        monotonic=frozen_monotonic,
    )


def opened(view: str) -> Any:
    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for_poll(pilot)
        await pilot.app.run_command(view)  # type: ignore[attr-defined]
        await wait_for(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, ResourceScreen) and pilot.app.screen.latest is not None
            ),
            what=f"the {view} view's rows",
        )
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("view", ["actors", "tasks", "pg", "objects", "workers", "events", "serve"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_explorer_view(snap_compare: Any, view: str, size: tuple[int, int]) -> None:
    assert snap_compare(explorer_app(), terminal_size=size, run_before=opened(view))


def detail_of(command: str) -> Any:
    """The view `command` opens, then enter on its first row: the detail screen, filled."""

    async def run_before(pilot: Pilot[None]) -> None:
        await opened(command)(pilot)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(pilot.app.screen, DetailScreen) and bool(pilot.app.screen.fields),
            what=f"the detail of {command}'s first row",
        )
        await settle(pilot)

    return run_before


@pytest.mark.parametrize(
    "command", ["actors Crasher", r"tasks ^fail\s"], ids=["actor-death-cause", "failed-task"]
)
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_explorer_detail(snap_compare: Any, command: str, size: tuple[int, int]) -> None:
    assert snap_compare(explorer_app(), terminal_size=size, run_before=detail_of(command))
