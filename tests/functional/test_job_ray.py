"""The Job screen's drill-down into the job's actors and tasks, on answers recorded from a real
Ray 2.60 head (tests/recording/record_explorer_responses.py): the explorer driver's job
(`explorer-driver`, Ray job id 02000000) as the State API listed it."""

from __future__ import annotations

from typing import cast

import httpx
from textual.pilot import Pilot

from sovtui.ray_api.models import JobDetails
from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.job import JobScreen
from sovtui.tui.screens.log_view import LogViewScreen
from sovtui.tui.screens.resources import DetailScreen
from sovtui.tui.widgets.resource_table import ResourceTable
from tests.support.app_factory import make_app
from tests.support.recorded_explorer import RecordedExplorer
from tests.support.recorded_state import explorer_index, explorer_ray, recorded_rows
from tests.support.waiting import settle, wait_for, wait_for_poll

SETTINGS = Settings(interval=3600)


def driver_job() -> JobDetails:
    (row,) = [job for job in recorded_rows("jobs") if job["submission_id"] == "explorer-driver"]
    return JobDetails.model_validate(row)


def spied(recorded: RecordedExplorer, path: str) -> list[httpx.QueryParams]:
    """The queries of every request to `path` (answered as before)."""
    answer = recorded.override[path]
    asked: list[httpx.QueryParams] = []

    def spy(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params)
        return answer(request)

    recorded.override[path] = spy
    return asked


def column(table: ResourceTable, title: str) -> list[str]:
    index = [c.title for c in table.view.columns].index(title)
    return [str(getattr(v, "plain", v)) for v in (r[2][index] for r in table.visible_rows())]


async def open_job(pilot: Pilot[None], details: JobDetails) -> JobScreen:
    app = cast(SovtuiApp, pilot.app)
    await wait_for_poll(pilot)
    job = JobScreen(app.services, details.submission_id or "", details)
    await app.push_screen(job)
    actors = job.query_one("#job-actors", ResourceTable)
    await wait_for(pilot, lambda: actors.items, what="the job's actors")
    await settle(pilot)
    return job


async def test_job_screen_lists_its_actors_and_tasks_by_ray_job_id() -> None:
    details = driver_job()
    assert details.job_id == "02000000" and details.submission_id == "explorer-driver"
    recorded = explorer_ray(RecordedExplorer())
    actor_queries = spied(recorded, "/api/v0/actors")
    summary_queries = spied(recorded, "/api/v0/tasks/summarize")
    task_queries = spied(recorded, "/api/v0/tasks")
    app = make_app(settings=SETTINGS, recorded=recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        job = await open_job(pilot, details)
        assert job.query_one("#job-ray").display
        assert job.check_action("ray_focus", ()) is True  # `a` in the footer
        actors = job.query_one("#job-actors", ResourceTable)
        # the job's actors only: the JobSupervisor belongs to Ray's job 01000000
        assert sorted(column(actors, "Class")) == [
            "Counter",
            "Crasher",
            "Exiter",
            "GpuActor",
            "Victim",
        ]
        assert set(column(actors, "Restarts")) <= {"0", "1"} and "" not in column(actors, "PID")
        # every request filtered by Ray's job id (not the submission id), with a limit
        for query in (*actor_queries, *summary_queries, *task_queries):
            keys = list(
                zip(query.get_list("filter_keys"), query.get_list("filter_values"), strict=True)
            )
            assert ("job_id", "02000000") in keys, query
        assert all(query.get("limit") for query in (*actor_queries, *task_queries))
        # the failed tasks, without detail (that is for the row enter opens)
        failed = job.query_one("#job-failed", ResourceTable)
        assert failed.display
        assert sorted(column(failed, "Function")) == sorted(
            ["fail"] * 3 + ["Crasher.__init__", "Crasher.ping", "Exiter.die"]
        )
        assert all(column(failed, "Error"))
        assert all(query.get("detail") != "true" for query in task_queries)
        summary = str(job.query_one("#job-task-summary").render())
        assert "tasks: " in summary and "FAILED 6" in summary and "fail: FAILED 3" in summary

        # `a`: to the actors; enter: the actor's detail, then its stderr in the log viewer
        await pilot.press("a")
        assert app.focused is actors
        crasher = explorer_index()["actors_by_class"]["Crasher"]
        actors.move_cursor(row=list(actors.shown_items).index(crasher))
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
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: app.screen is job)

        # `a` again: the failed tasks; enter: that task's detail (one request, with detail)
        await pilot.press("a")
        assert app.focused is failed
        task_queries.clear()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        task = app.screen
        assert isinstance(task, DetailScreen) and task.view.kind == "tasks"
        await wait_for(pilot, lambda: task.fields, what="the task's detail")
        assert "error type" in dict(task.fields)
        assert [q.get("detail") for q in task_queries] == ["true"]
        await pilot.press("escape")
        await pilot.press("a")
        assert app.focused is job.pane  # and round to the log


async def test_no_ray_job_id_no_actors_pane() -> None:
    """A job whose driver has not started (no Ray job id yet): nothing is asked, nothing shown."""
    recorded = explorer_ray(RecordedExplorer())
    app = make_app(settings=SETTINGS, recorded=recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        job_id = recorded.recorded_job("failed")  # recorded by the jobs API without a job id
        job = JobScreen(app.services, job_id)
        await app.push_screen(job)
        await wait_for(pilot, lambda: job.details is not None and job.log_ended)
        await settle(pilot)
        assert job.details is not None and job.details.job_id is None
        assert not job.query_one("#job-ray").display
        assert job.check_action("ray_focus", ()) is False
        assert "/api/v0/actors" not in recorded.requests
