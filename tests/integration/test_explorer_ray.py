"""The headless explorer against a real Ray head running tests/support/explorer_driver.py:
`sovtui list`, `summary`, `pending`, `logs` and `kill-actor` show what the driver made, with the
states Ray's own `ray list` / `ray summary` report in the same test; read-only mode refuses the
kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sovtui.cli import main
from sovtui.cluster.embedded_head import EmbeddedHead, ray_executable
from sovtui.settings.model import Settings

pytestmark = pytest.mark.ray

DRIVER = Path(__file__).resolve().parent.parent / "support" / "explorer_driver.py"


def ray_env(head: EmbeddedHead) -> dict[str, str]:
    return dict(os.environ, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=head.token)


def ray_cli(head: EmbeddedHead, *args: str) -> str:
    """Ray's own CLI, against the same head."""
    done = subprocess.run(
        [ray_executable(), *args, "--address", head.dashboard_url],
        capture_output=True,
        text=True,
        timeout=120,
        env=ray_env(head),
        check=True,
    )
    return done.stdout


def wait_for(condition: Any, timeout: float = 120.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def explorer_driver(ray_head: EmbeddedHead) -> Iterator[str]:
    submission_id = f"explorer-driver-{os.getpid()}-{time.monotonic_ns()}"
    subprocess.run(
        [
            ray_executable(),
            "job",
            "submit",
            "--address",
            ray_head.dashboard_url,
            "--submission-id",
            submission_id,
            "--no-wait",
            "--",
            sys.executable,
            str(DRIVER),
        ],
        capture_output=True,
        timeout=120,
        env=ray_env(ray_head),
        check=True,
    )
    headers = {"Authorization": f"Bearer {ray_head.token}"}
    http = httpx.Client(base_url=ray_head.dashboard_url, headers=headers, timeout=30)

    def ready() -> bool:
        logs = http.get(f"/api/jobs/{submission_id}/logs").json().get("logs", "")
        status = http.get(f"/api/jobs/{submission_id}").json().get("status")
        assert status not in ("FAILED", "STOPPED", "SUCCEEDED"), logs
        return "EXPLORER READY" in logs

    def events_in() -> bool:  # task events reach the GCS about a second late
        body = http.get("/api/v0/tasks/summarize").json()
        rows = body["data"]["result"]["result"]["node_id_to_summary"]["cluster"]["summary"]
        counts = {name: row["state_counts"] for name, row in rows.items()}
        return counts.get("fail") == {"FAILED": 3} and counts.get("ok") == {"FINISHED": 20}

    try:
        wait_for(ready, 180, "the explorer driver")
        wait_for(events_in, 60, "task events")
        yield submission_id
    finally:
        http.post(f"/api/jobs/{submission_id}/stop")
        wait_for(
            lambda: (
                http.get(f"/api/jobs/{submission_id}").json().get("status")
                in ("STOPPED", "FAILED", "SUCCEEDED")
            ),
            60,
            "the driver to stop",
        )
        http.close()


@pytest.fixture
def cli(ray_head: EmbeddedHead, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("RAY_AUTH_TOKEN", ray_head.token)
    return ["--address", ray_head.dashboard_url]


def sovtui_json(cli: list[str], capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code = main([*cli, *argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def mine(rows: list[dict[str, Any]], job_id: str) -> list[dict[str, Any]]:
    return [row for row in rows if row.get("job_id") == job_id]


def driver_job_id(cli: list[str], capsys: pytest.CaptureFixture[str], submission_id: str) -> str:
    jobs = sovtui_json(cli, capsys, "list", "jobs")["result"]
    return next(job["job_id"] for job in jobs if job["submission_id"] == submission_id)


def test_list_actors_agrees_with_ray_list(
    explorer_driver: str, cli: list[str], ray_head: EmbeddedHead, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = driver_job_id(cli, capsys, explorer_driver)
    ours = mine(sovtui_json(cli, capsys, "list", "actors", "--limit", "1000")["result"], job_id)
    theirs = mine(
        json.loads(ray_cli(ray_head, "list", "actors", "--format", "json", "--limit", "1000")),
        job_id,
    )
    assert {a["actor_id"]: a["state"] for a in ours} == {a["actor_id"]: a["state"] for a in theirs}
    states = {a["class_name"]: a["state"] for a in ours}
    assert states == {
        "Counter": "ALIVE",
        "Crasher": "DEAD",
        "Victim": "DEAD",
        "Exiter": "DEAD",
        "GpuActor": "PENDING_CREATION",
    }
    detail = sovtui_json(
        cli,
        capsys,
        "list",
        "actors",
        "--detail",
        "--filter",
        "class_name=Victim",
        "--filter",
        f"job_id={job_id}",
    )["result"]
    assert detail[0]["death_cause"]["actor_died_error_context"]["reason"] == "RAY_KILL"


def test_tasks_summary_agrees_with_ray(
    explorer_driver: str, cli: list[str], ray_head: EmbeddedHead, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = driver_job_id(cli, capsys, explorer_driver)
    theirs = mine(
        json.loads(ray_cli(ray_head, "list", "tasks", "--format", "json", "--limit", "10000")),
        job_id,
    )
    ray_counts = Counter((t["func_or_class_name"], t["state"]) for t in theirs)
    summary = sovtui_json(cli, capsys, "summary", "tasks")["summary"]
    for name in ("ok", "fail", "sleeper", "needs_gpu"):
        ours = summary[name]["state_counts"]
        assert ours == {s: n for (f, s), n in ray_counts.items() if f == name}, name
    assert summary["ok"]["state_counts"] == {"FINISHED": 20}
    assert summary["fail"]["state_counts"] == {"FAILED": 3}
    assert summary["sleeper"]["state_counts"] == {"RUNNING": 1, "PENDING_NODE_ASSIGNMENT": 1}
    text = ray_cli(ray_head, "summary", "tasks")
    assert "needs_gpu" in text and "FINISHED: 20" in text.replace("'", "")

    live = mine(
        sovtui_json(cli, capsys, "list", "tasks", "--live", "--limit", "1000")["result"], job_id
    )
    live_ray = [t for t in theirs if t["state"] != "FINISHED"]
    assert sorted(t["task_id"] for t in live) == sorted(t["task_id"] for t in live_ray)


def test_placement_groups_objects_workers_nodes(
    explorer_driver: str, cli: list[str], ray_head: EmbeddedHead, capsys: pytest.CaptureFixture[str]
) -> None:
    groups = sovtui_json(cli, capsys, "list", "pgs")["result"]
    by_name = {g["name"]: g for g in groups}
    assert by_name["sovtui-placed"]["state"] == "CREATED"
    assert by_name["sovtui-infeasible"]["stats"]["scheduling_state"] == "INFEASIBLE"
    theirs = json.loads(ray_cli(ray_head, "list", "placement-groups", "--format", "json"))
    assert {g["placement_group_id"] for g in groups} == {g["placement_group_id"] for g in theirs}

    objects = sovtui_json(cli, capsys, "list", "objects", "--limit", "1000")
    assert sum(1 for o in objects["result"] if o["object_size"] and o["object_size"] >= 1024) >= 5
    summary = sovtui_json(cli, capsys, "summary", "objects")
    assert summary["total"] >= 5

    workers = sovtui_json(cli, capsys, "list", "workers", "--limit", "1000")["result"]
    assert workers and all(w["is_alive"] for w in workers)
    theirs_alive = json.loads(
        ray_cli(
            ray_head,
            "list",
            "workers",
            "--format",
            "json",
            "--limit",
            "1000",
            "--filter",
            "is_alive=true",
        )
    )
    assert {w["worker_id"] for w in workers} == {w["worker_id"] for w in theirs_alive}
    nodes = sovtui_json(cli, capsys, "list", "nodes")["result"]
    assert nodes[0]["state"] == "ALIVE"

    code = main([*cli, "list", "tasks", "--limit", "3"])
    out, _ = capsys.readouterr()
    assert code == 0 and "showing 3 of " in out


def test_pending_names_the_infeasible(
    explorer_driver: str, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    report = sovtui_json(cli, capsys, "pending")
    verdicts = {(p["kind"], p["name"]): p["verdict"] for p in report["pending"]}
    assert verdicts[("task", "needs_gpu")] == "infeasible"
    assert verdicts[("actor", "GpuActor")] == "infeasible"
    assert verdicts[("placement group", "sovtui-infeasible")] == "infeasible"
    assert verdicts[("task", "sleeper")] == "waiting"
    assert any("GPU" in demand for demand in report["autoscaler_demands"])
    code = main([*cli, "pending"])
    out, _ = capsys.readouterr()
    assert code == 0 and "asks for GPU 1; no alive node has GPU" in out


def test_logs_of_an_actor_and_a_node_file(
    explorer_driver: str, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = driver_job_id(cli, capsys, explorer_driver)
    crasher = sovtui_json(
        cli,
        capsys,
        "list",
        "actors",
        "--filter",
        "class_name=Crasher",
        "--filter",
        f"job_id={job_id}",
    )["result"][0]
    assert main([*cli, "logs", "--actor", crasher["actor_id"], "--err", "--lines", "20"]) == 0
    assert "constructor failed on purpose" in capsys.readouterr().out
    node = crasher["node_id"]
    assert main([*cli, "logs", "--node", node, "--file", "raylet.out", "--lines", "5"]) == 0
    assert capsys.readouterr().out.strip()
    assert main([*cli, "logs", "--node", node, "--file", "no-such-file.out"]) in (0, 1)
    assert main([*cli, "logs", explorer_driver]) == 0  # a job's log, as before
    assert "EXPLORER READY" in capsys.readouterr().out


def test_events_and_serve_states(explorer_driver: str, ray_head: EmbeddedHead) -> None:
    import asyncio

    from sovtui.ray_api.auth import explicit_token
    from sovtui.ray_api.client import DashboardClient
    from sovtui.ray_api.state import StateApi

    async def read() -> tuple[Any, Any]:
        client = DashboardClient(ray_head.dashboard_url, explicit_token(ray_head.token, "test"))
        try:
            api = StateApi(client)
            return await api.events(), await api.serve()
        finally:
            await client.aclose()

    events, serve = asyncio.run(read())
    assert any(event.severity == "ERROR" and event.source == "RAYLET" for event in events)
    assert serve.installed or serve.reason


async def test_actors_view_shows_the_drivers_actors_with_their_states(
    explorer_driver: str, ray_connection: Any
) -> None:
    """The TUI's Actors view on the real head: the driver's actors, each in its state."""
    from sovtui.tui.screens.resources import ResourceScreen
    from tests.support.app_factory import make_app
    from tests.support.waiting import wait_for as wait_in_app

    expected = {
        "Counter": "ALIVE",
        "Crasher": "DEAD",
        "Victim": "DEAD",
        "Exiter": "DEAD",
        "GpuActor": "PENDING_CREATION",
    }
    app = make_app(ray_connection, Settings(interval=2.0))
    async with app.run_test(size=(160, 40)) as pilot:
        await app.run_command("actors sovtui-test")  # the driver's namespace
        await wait_in_app(
            pilot,
            lambda: isinstance(app.screen, ResourceScreen) and app.screen.latest is not None,
            60,
            what="the actors view's rows",
        )
        screen = app.screen
        assert isinstance(screen, ResourceScreen)

        def states() -> dict[str, str]:
            return {
                actor.class_name: actor.state
                for _id, actor, _cells in screen.table.visible_rows()
                if actor.class_name in expected
            }

        await wait_in_app(
            pilot,
            lambda: states() == expected,
            60,
            what="the driver's actors",
            details=lambda: repr(states()),
        )
        assert screen.table.row_count >= len(expected)
        await pilot.press("colon", *"tasks FAILED", "enter")
        await wait_in_app(
            pilot,
            lambda: (
                isinstance(app.screen, ResourceScreen)
                and app.screen.view.name == "tasks"
                and app.screen.latest is not None
                and len(app.screen.table.visible_rows()) >= 3
            ),
            60,
            what="the failed tasks",
        )


async def test_job_screen_drills_down_to_actors_tasks_and_their_logs(
    explorer_driver: str, ray_connection: Any
) -> None:
    """The Job screen of the driver on the real head: its actors and failed tasks by Ray's job
    id, enter on the Crasher opens its detail, `e` its stderr followed live; a failed task's
    detail reads its log slice once."""
    from sovtui.tui.screens.job import JobScreen
    from sovtui.tui.screens.log_view import LogViewScreen
    from sovtui.tui.screens.resources import DetailScreen
    from sovtui.tui.widgets.resource_table import ResourceTable
    from tests.support.app_factory import make_app
    from tests.support.waiting import wait_for as wait_in_app

    app = make_app(ray_connection, Settings(interval=2.0))
    async with app.run_test(size=(160, 50)) as pilot:
        job = JobScreen(app.services, explorer_driver)
        await app.push_screen(job)
        actors = job.query_one("#job-actors", ResourceTable)
        failed = job.query_one("#job-failed", ResourceTable)

        def states() -> dict[str, str]:
            return {a.class_name: a.state for _id, a, _cells in actors.visible_rows()}

        await wait_in_app(
            pilot,
            lambda: {"Crasher", "Victim", "Exiter", "GpuActor"} <= set(states()),
            60,
            what="the job's actors",
            details=lambda: repr(states()),
        )
        assert job.details is not None and job.details.job_id
        assert {a.job_id for a in actors.items} == {job.details.job_id}
        assert states()["Crasher"] == "DEAD" and states()["GpuActor"] == "PENDING_CREATION"
        assert "JobSupervisor" not in states()  # Ray's own actor, of another Ray job
        await wait_in_app(pilot, lambda: len(failed.items) >= 3, 60, what="the failed tasks")
        functions = [t.func_or_class_name for t in failed.items]
        assert functions.count("fail") == 3
        assert "fail: FAILED 3" in str(job.query_one("#job-task-summary").render())

        async def stderr_of(
            table: ResourceTable, key: str, what: str, field: str, value: str
        ) -> LogViewScreen:
            """`a` to the table, enter on `key`: its detail, whose `field` says `value`, then
            `e`: its stderr."""
            await pilot.press("a")
            table.move_cursor(row=list(table.shown_items).index(key))
            await pilot.press("enter")
            await wait_in_app(pilot, lambda: isinstance(app.screen, DetailScreen), 30)
            detail = app.screen
            assert isinstance(detail, DetailScreen)
            await wait_in_app(pilot, lambda: detail.fields, 30, what=f"the {what}'s detail")
            assert dict(detail.fields)[field] == value
            await pilot.press("e")
            await wait_in_app(pilot, lambda: isinstance(app.screen, LogViewScreen), 30)
            viewer = app.screen
            assert isinstance(viewer, LogViewScreen)
            return viewer

        crasher = next(key for key, a in actors.shown_items.items() if a.class_name == "Crasher")
        viewer = await stderr_of(actors, crasher, "Crasher", "death cause", "CREATION_TASK_ERROR")
        await wait_in_app(
            pilot,
            lambda: any("constructor failed on purpose" in line for _, line in viewer.lines),
            60,
            what="the Crasher's stderr",
            details=lambda: str(viewer.pane.border_subtitle),
        )
        from sovtui.support import locations

        await pilot.press("w")  # the whole stderr, by actor id
        folder = locations.data_dir() / "logs"
        await wait_in_app(pilot, lambda: list(folder.glob("actor-*.log")), 60, what="the save")
        saved = next(folder.glob("actor-*.log")).read_bytes()
        assert b"constructor failed on purpose" in saved
        await pilot.press("escape", "escape")
        await wait_in_app(pilot, lambda: app.screen is job, 30)

        # `a` again: the failed tasks, a `fail` one
        task_id = next(t.task_id for t in failed.items if t.func_or_class_name == "fail")
        task_log = await stderr_of(
            failed, task_id, "task", "error type", "TASK_EXECUTION_EXCEPTION"
        )
        await wait_in_app(
            pilot,
            lambda: task_log.pane.border_subtitle,
            60,
            what="the task's log read",
        )
        assert "read once" in str(task_log.pane.border_subtitle)


def test_readonly_refuses_then_kill_turns_the_actor_dead(
    explorer_driver: str,
    cli: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job_id = driver_job_id(cli, capsys, explorer_driver)
    monkeypatch.setenv("SOVTUI_READONLY", "true")
    assert main([*cli, "kill-actor", "sovtui-counter", "--namespace", "sovtui-test"]) == 2
    assert "read-only mode" in capsys.readouterr().err
    monkeypatch.delenv("SOVTUI_READONLY")

    def counter() -> dict[str, Any]:
        rows = sovtui_json(
            cli, capsys, "list", "actors", "--detail", "--filter", "name=sovtui-counter"
        )
        return next(r for r in rows["result"] if r["job_id"] == job_id)

    assert counter()["state"] == "ALIVE"  # read-only left it alone
    unnamed = sovtui_json(
        cli,
        capsys,
        "list",
        "actors",
        "--filter",
        "class_name=GpuActor",
        "--filter",
        f"job_id={job_id}",
    )["result"][0]
    assert main([*cli, "kill-actor", unnamed["actor_id"]]) == 2
    assert "cannot kill unnamed actor" in capsys.readouterr().err

    result = sovtui_json(cli, capsys, "kill-actor", "sovtui-counter", "--namespace", "sovtui-test")
    assert (result["state"], result["reason"]) == ("DEAD", "RAY_KILL")
    assert result["job_deleted"]
    after = counter()
    assert after["state"] == "DEAD"
    assert after["death_cause"]["actor_died_error_context"]["reason"] == "RAY_KILL"
    jobs = sovtui_json(cli, capsys, "job", "list")  # the job manager's records: ours deleted
    helper = result.get("job_id") or result.get("submission_id")
    assert helper and helper.startswith("sovtui-kill-actor-"), result
    assert not any(j["submission_id"] == helper for j in jobs)
