"""The Job screen's drill-down into the job's actors and tasks, on answers recorded from a real
Ray 2.60 head (tests/recording/record_job_drilldown_responses.py): the explorer driver's job
(`explorer-driver`, Ray job id 02000000), its actors, task summary and failed tasks as Ray
answered them filtered by that id; any other request is answered 404."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

import httpx
import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.job import JobScreen
from sovtui.tui.screens.log_view import LogViewScreen
from sovtui.tui.screens.resources import DetailScreen
from sovtui.tui.widgets.resource_table import ResourceTable
from tests.functional.test_hostile_text import HOSTILE, assert_clean, frame
from tests.support.app_factory import make_app
from tests.support.recorded_job_drilldown import JOB_DRILLDOWN, RecordedJobDrilldown
from tests.support.recorded_state import explorer_ray
from tests.support.terminal_writes import osc52
from tests.support.waiting import settle, wait_for, wait_for_poll

SETTINGS = Settings(interval=3600)


def column(table: ResourceTable, title: str) -> list[str]:
    index = [c.title for c in table.view.columns].index(title)
    return [str(getattr(v, "plain", v)) for v in (r[2][index] for r in table.visible_rows())]


def asked(recorded: RecordedJobDrilldown, path: str) -> list[httpx.QueryParams]:
    return [query for where, query in recorded.asked if where == path]


async def open_job(pilot: Pilot[None], recorded: RecordedJobDrilldown) -> JobScreen:
    app = cast(SovtuiApp, pilot.app)
    await wait_for_poll(pilot)
    await settle(pilot)
    recorded.asked.clear()  # the dashboard's own requests (its pending actors...) are done
    submission_id = recorded.index["submission_id"]
    job = JobScreen(app.services, submission_id)
    await app.push_screen(job)
    actors = job.query_one("#job-actors", ResourceTable)
    await wait_for(pilot, lambda: actors.items, what="the job's actors")
    await settle(pilot)
    return job


async def test_job_screen_lists_its_actors_and_tasks_by_ray_job_id(written: list[str]) -> None:
    recorded = RecordedJobDrilldown()
    index = recorded.index
    app = make_app(settings=SETTINGS, recorded=recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        job = await open_job(pilot, recorded)
        assert job.details is not None and job.details.job_id == index["job_id"]
        assert job.query_one("#job-ray").display
        assert job.check_action("ray_focus", ()) is True  # `a` in the footer
        actors = job.query_one("#job-actors", ResourceTable)
        states = dict(zip(column(actors, "Class"), column(actors, "State"), strict=True))
        assert states == {
            "Counter": "ALIVE",
            "Crasher": "DEAD",
            "Victim": "DEAD",
            "Exiter": "DEAD",
            "GpuActor": "PENDING_CREATION",
        }
        assert set(column(actors, "Restarts")) == {"0"}  # a detail field: asked with detail
        # every State API request names Ray's job id (not the submission id), lists a limit
        for query in (
            *asked(recorded, "/api/v0/actors"),
            *asked(recorded, "/api/v0/tasks"),
            *asked(recorded, "/api/v0/tasks/summarize"),
        ):
            assert ("job_id", index["job_id"]) in zip(
                query.get_list("filter_keys"), query.get_list("filter_values"), strict=True
            ), query
        assert all(q.get("limit") for q in asked(recorded, "/api/v0/actors"))
        assert all(q.get("limit") for q in asked(recorded, "/api/v0/tasks"))
        # the failed tasks, without detail (that is for the row enter opens)
        failed = job.query_one("#job-failed", ResourceTable)
        assert failed.display
        assert sorted(column(failed, "Function")) == sorted(
            ["fail"] * 3 + ["Crasher.__init__", "Crasher.ping", "Exiter.die"]
        )
        assert all(column(failed, "Error"))
        assert all(q.get("detail") != "true" for q in asked(recorded, "/api/v0/tasks"))
        summary = str(job.query_one("#job-task-summary").render())
        assert "tasks: FAILED 6  FINISHED 26" in summary and "fail: FAILED 3" in summary

        # `a`: to the actors; enter: the actor's detail, then its stderr followed
        await pilot.press("a")
        assert app.focused is actors
        crasher = index["crasher"]
        actors.move_cursor(row=list(actors.shown_items).index(crasher))
        await pilot.press("y")  # the focused actor's id, not the job's
        assert osc52(crasher) in written
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.row_id == crasher
        await wait_for(pilot, lambda: detail.fields, what="the actor's detail")
        assert dict(detail.fields)["death cause"] == "CREATION_TASK_ERROR"
        # the Job screen is not shown: its poller skips its ticks
        assert job.ray_poller is not None and job.ray_poller._wanted() is False
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, LogViewScreen))
        viewer = app.screen
        assert isinstance(viewer, LogViewScreen)
        await wait_for(
            pilot,
            lambda: any("constructor failed on purpose" in line for _, line in viewer.lines),
            what="the Crasher's stderr",
        )
        assert recorded.asked[-1][0] == "/api/v0/logs/stream"
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: app.screen is job)

        # `a` again: the failed tasks; enter on a `fail` one: its detail, asked for that row
        await pilot.press("a")
        assert app.focused is failed
        failed.move_cursor(row=list(failed.shown_items).index(index["fail_task"]))
        before = len(asked(recorded, "/api/v0/tasks"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        task = app.screen
        assert isinstance(task, DetailScreen) and task.view.kind == "tasks"
        await wait_for(pilot, lambda: task.fields, what="the task's detail")
        assert dict(task.fields)["error type"] == "TASK_EXECUTION_EXCEPTION"
        assert [q.get("detail") for q in asked(recorded, "/api/v0/tasks")[before:]] == ["true"]
        # its stderr: the task's slice, read once (Ray answered it empty: the traceback went
        # to the driver)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, LogViewScreen))
        task_log = app.screen
        assert isinstance(task_log, LogViewScreen)
        await wait_for(pilot, lambda: task_log.pane.border_subtitle, what="the task's log read")
        assert "read once" in str(task_log.pane.border_subtitle)
        assert recorded.asked[-1][0] == "/api/v0/logs/file"
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: app.screen is job)
        await pilot.press("a")
        assert app.focused is job.pane  # and round to the log
        assert app.is_running and not any(
            n.severity == "error" for n in pilot.app._notifications
        ), [n.message for n in pilot.app._notifications]


async def test_no_ray_job_id_no_actors_pane() -> None:
    """A job recorded without a Ray job id: nothing is asked, nothing shown, `a` hidden."""
    recorded = explorer_ray()
    app = make_app(settings=SETTINGS, recorded=recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        job = JobScreen(app.services, recorded.recorded_job("failed"))
        await app.push_screen(job)
        await wait_for(pilot, lambda: job.details is not None and job.log_ended)
        await settle(pilot)
        assert job.details is not None and job.details.job_id is None
        assert not job.query_one("#job-ray").display
        assert job.check_action("ray_focus", ()) is False
        assert "/api/v0/actors" not in recorded.requests


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_hostile_actor_and_task_text_never_reaches_the_terminal(
    size: tuple[int, int],
) -> None:
    """The drill-down shows cluster text (actor classes and names, function names, error
    types, the summary's lines): escape sequences and markup in it stay data."""

    def hostile(name: str, fields: tuple[str, ...]) -> Callable[[httpx.Request], httpx.Response]:
        body = json.loads((JOB_DRILLDOWN / f"{name}.body").read_bytes())
        for row in body["data"]["result"]["result"]:
            for key in fields:
                row[key] = f"{row[key]}{HOSTILE}"
        content = json.dumps(body).encode()
        return lambda _request: httpx.Response(
            200, content=content, headers={"content-type": "application/json"}
        )

    summary = json.loads((JOB_DRILLDOWN / "tasks_summary_job.body").read_bytes())
    functions = summary["data"]["result"]["result"]["node_id_to_summary"]["cluster"]["summary"]
    for name in list(functions):
        functions[f"{name}{HOSTILE}"] = functions.pop(name)
    summary_body = json.dumps(summary).encode()

    recorded = RecordedJobDrilldown()
    recorded.override["/api/v0/actors"] = hostile("actors_job_detail", ("class_name", "name"))
    recorded.override["/api/v0/tasks"] = hostile(
        "tasks_failed_job", ("func_or_class_name", "error_type")
    )
    recorded.override["/api/v0/tasks/summarize"] = lambda _request: httpx.Response(
        200, content=summary_body, headers={"content-type": "application/json"}
    )
    app = make_app(settings=Settings(interval=3600), recorded=recorded)
    async with app.run_test(size=size) as pilot:
        job = await open_job(pilot, recorded)
        failed = job.query_one("#job-failed", ResourceTable)
        await wait_for(pilot, lambda: failed.items, what="the failed tasks")
        await settle(pilot)
        assert "[/x]" in str(job.query_one("#job-task-summary").render())
        assert_clean(frame(app))
        await pilot.press("a")  # the actors focused: their rows drawn with the cursor
        await settle(pilot)
        assert_clean(frame(app))
        assert app.is_running and app.crash is None
