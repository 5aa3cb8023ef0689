"""The Clusters screen (5): saved contexts with their health, enter switches the whole app to
one (dashboard and header), the Slurm jobs table, its form and read-only refusals."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.clusters import ClustersScreen
from sovtui.tui.screens.confirm import ConfirmScreen
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.slurm_modals import SlurmUpForm
from tests.support.app_factory import AppFactory
from tests.support.clusters_data import (
    LAB_B_NODES,
    fixed_health,
    fixed_jobs,
    lab_b_answers,
    saved_only,
    slurm_down,
    two_labs,
)
from tests.support.recorded_ray import RecordedRay
from tests.support.waiting import wait_for


def clusters_app(app_factory: AppFactory, **options: object) -> SovtuiApp:
    settings = options.pop("settings", None) or two_labs()
    return app_factory(
        settings=settings,  # type: ignore[arg-type]
        contexts=saved_only,
        probe=fixed_health,
        slurm_jobs=options.pop("slurm_jobs", fixed_jobs()),  # type: ignore[arg-type]
    )


def screen(app: SovtuiApp) -> ClustersScreen:
    assert isinstance(app.screen, ClustersScreen)
    return app.screen


def listed(app: SovtuiApp) -> bool:
    shown = app.screen
    return (
        isinstance(shown, ClustersScreen)
        and shown.contexts_view is not None
        and (shown.slurm_view is not None or shown.slurm_problem is not None)
    )


async def test_enter_switches_dashboard_and_header(
    app_factory: AppFactory, recorded_ray: RecordedRay
) -> None:
    lab_b_answers(recorded_ray)
    app = clusters_app(app_factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None, what="the first snapshot")
        assert app.snapshot is not None
        recorded_nodes = len(app.snapshot.nodes)
        assert recorded_nodes != LAB_B_NODES
        await pilot.press("5")
        await wait_for(pilot, lambda: listed(app), what="contexts and jobs listed")
        table = screen(app).query_one("#contexts", DataTable)
        assert table.row_count == 2
        await pilot.press("down", "enter")  # lab-b
        await wait_for(pilot, lambda: app.connection.context == "lab-b", what="the switch")
        assert "lab-b" in app.sub_title
        assert app.connection.address == "http://lab-b:8265"
        await pilot.press("1")
        assert isinstance(app.screen, DashboardScreen)
        await wait_for(
            pilot,
            lambda: app.snapshot is not None and len(app.snapshot.nodes) == LAB_B_NODES,
            what="lab-b's nodes on the dashboard",
        )
        # And back: lab-a is the recorded cluster again.
        await pilot.press("5")
        await wait_for(pilot, lambda: listed(app))
        await pilot.press("up", "enter")
        await wait_for(pilot, lambda: app.connection.context == "lab-a")
        assert "lab-a" in app.sub_title
        await wait_for(
            pilot, lambda: app.snapshot is not None and len(app.snapshot.nodes) == recorded_nodes
        )


async def test_slurm_jobs_listed_and_unreachable_said(app_factory: AppFactory) -> None:
    app = clusters_app(app_factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: listed(app))
        jobs = screen(app).query_one("#slurm-jobs", DataTable)
        assert jobs.row_count == 4
        assert [str(key.value) for key in jobs.rows] == ["101", "102", "103", "104"]
    app = clusters_app(app_factory, slurm_jobs=slurm_down)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: listed(app))
        status = str(screen(app).query_one("#slurm-status").render())
        assert "Slurm unreachable: squeue: error: Unable to contact" in status
        await pilot.press("tab", "d")  # no cluster selected: a notification, no crash
        assert isinstance(app.screen, ClustersScreen)


async def test_up_form_validates_and_down_needs_a_sovtui_cluster(app_factory: AppFactory) -> None:
    app = clusters_app(app_factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: listed(app))
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, SlurmUpForm))
        form = app.screen
        assert isinstance(form, SlurmUpForm)
        assert form.errors == {}
        nodes = form.query_one("#up-nodes", Input)
        nodes.value = "0"
        await pilot.pause()
        assert "nodes" in form.errors and nodes.has_class("-invalid")
        form.query_one("#up-time", Input).value = "soon"
        await pilot.pause()
        assert "time" in form.errors
        await pilot.press("enter")  # refused: still the form
        assert app.screen is form
        await pilot.press("escape")
        assert isinstance(app.screen, ClustersScreen)
        await pilot.press("tab", "d")  # job 101 is not one of sovtui's clusters
        assert not isinstance(app.screen, ConfirmScreen)


async def test_readonly_refuses_up_and_down(app_factory: AppFactory) -> None:
    app = clusters_app(app_factory, settings=two_labs(readonly=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: listed(app))
        await pilot.press("u")
        assert isinstance(app.screen, ClustersScreen)
        await pilot.press("tab", "d")
        assert isinstance(app.screen, ClustersScreen)
        assert any("read-only" in n.message for n in app._notifications)
