"""The State API client and the pending analysis on answers recorded from a real Ray 2.60 head
(tests/recording/record_explorer_responses.py), error shapes included."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from sovtui.monitor.pending import INFEASIBLE, PENDING_PG, WAITING, analyse, autoscaler_demands
from sovtui.monitor.pending import judge as judge_resources
from sovtui.ray_api.actor_kill import kill_entrypoint
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.errors import DashboardBadResponse, DashboardError
from sovtui.ray_api.state import (
    StateApi,
    StateFilter,
    error_reason,
    event_time,
    log_params,
    parse_events,
    parse_filter,
    parse_list,
    parse_summary,
)
from sovtui.ray_api.state_models import (
    Actor,
    ActorSummaryRow,
    Node,
    PlacementGroup,
    Task,
    TaskSummaryRow,
    Worker,
)
from tests.support.recorded_ray import RECORDED
from tests.support.tokens import no_token

EXPLORER = RECORDED / "ray-2.60.0-explorer"
URL = "http://127.0.0.1:8265"


def body(name: str) -> bytes:
    return (EXPLORER / f"{name}.body").read_bytes()


def meta(name: str) -> dict[str, Any]:
    return dict(json.loads((EXPLORER / f"{name}.meta.json").read_text()))


def answer_with(name: str) -> Callable[[httpx.Request], httpx.Response]:
    record = meta(name)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            record["status"], content=body(name), headers={"content-type": record["content_type"]}
        )

    return handler


def api_answering(name: str) -> StateApi:
    transport = httpx.MockTransport(answer_with(name))
    return StateApi(DashboardClient(URL, no_token(), transport=transport))


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# Lists -----------------------------------------------------------------------------------------


def test_actors_have_every_state_the_driver_made() -> None:
    actors = parse_list(Actor, body("actors_detail"), URL, 100)
    by_class = {actor.class_name: actor for actor in actors.items}
    counter = by_class["Counter"]
    assert (counter.state, counter.name, counter.is_detached) == ("ALIVE", "sovtui-counter", True)
    assert counter.ray_namespace == "sovtui-test"
    assert counter.num_restarts == 0  # an int64 sent as the string "0"
    assert by_class["Victim"].state == "DEAD"
    assert by_class["Victim"].death_cause is not None
    assert by_class["Victim"].death_cause.reason == "RAY_KILL"
    crasher = by_class["Crasher"].death_cause
    assert crasher is not None and crasher.reason == "CREATION_TASK_ERROR"
    assert "constructor failed on purpose" in crasher.message
    exiter = by_class["Exiter"].death_cause
    assert exiter is not None and exiter.reason == "WORKER_DIED"
    gpu = by_class["GpuActor"]
    assert (gpu.state, gpu.required_resources) == ("PENDING_CREATION", {"GPU": 1.0})
    assert not actors.truncated and actors.notes() == []


def test_limit_truncation_says_showing_n_of_m() -> None:
    tasks = parse_list(Task, body("tasks_limit_5"), URL, 5)
    assert len(tasks.items) == 5
    assert tasks.truncated
    assert tasks.notes()[0].startswith(f"showing 5 of {tasks.matching} ")
    assert tasks.to_json()["shown"] == 5


def test_live_tasks_leave_finished_ones_out_and_keep_every_live_state() -> None:
    tasks = parse_list(Task, body("tasks_live"), URL, 100)
    states = {task.state for task in tasks.items}
    assert "FINISHED" not in states
    assert {"RUNNING", "FAILED", "PENDING_NODE_ASSIGNMENT"} <= states
    failed = [t for t in tasks.items if t.func_or_class_name == "fail"]
    assert len(failed) == 3 and {t.error_type for t in failed} == {"TASK_EXECUTION_EXCEPTION"}


def test_failed_task_detail_has_its_error_and_log_slice() -> None:
    task = parse_list(Task, body("tasks_failed_detail"), URL, 100).items[0]
    assert task.error_message and "failed on purpose" in task.error_message
    assert task.required_resources == {"CPU": 0.1}
    assert [event.state for event in task.events][-1] == "FAILED"
    assert task.task_log_info is not None and task.task_log_info.stdout_file


def test_placement_groups_placed_and_infeasible() -> None:
    groups = parse_list(PlacementGroup, body("placement_groups_detail"), URL, 100).items
    by_name = {group.name: group for group in groups}
    placed = by_name["sovtui-placed"]
    assert placed.state == "CREATED" and placed.bundles[0].node_id
    infeasible = by_name["sovtui-infeasible"]
    assert (infeasible.state, infeasible.scheduling_state) == ("PENDING", "INFEASIBLE")
    assert infeasible.stats is not None
    assert isinstance(infeasible.stats.creation_request_received_ns, int)  # int64 as a string


def test_workers_nodes_jobs_objects_parse() -> None:
    workers = parse_list(Worker, body("workers_alive"), URL, 100)
    assert workers.items and all(worker.is_alive for worker in workers.items)
    assert workers.num_filtered is not None and workers.num_filtered < workers.total
    nodes = parse_list(Node, body("nodes"), URL, 100).items
    assert nodes[0].is_head_node and nodes[0].resources_total["CPU"] == 2.0
    for name, model_name in (("jobs", "StateJob"), ("objects", "ObjectRef")):
        from sovtui.ray_api import state_models

        parsed = parse_list(getattr(state_models, model_name), body(name), URL, 100)
        assert parsed.items


def test_summaries_count_by_function_and_class() -> None:
    tasks = parse_summary(TaskSummaryRow, body("tasks_summary"), URL)
    assert tasks.rows["ok"].state_counts == {"FINISHED": 20}
    assert tasks.rows["fail"].state_counts == {"FAILED": 3}
    assert tasks.rows["needs_gpu"].state_counts == {"PENDING_NODE_ASSIGNMENT": 1}
    assert sum(tasks.state_totals().values()) == tasks.total
    actors = parse_summary(ActorSummaryRow, body("actors_summary"), URL)
    assert actors.rows["GpuActor"].state_counts == {"PENDING_CREATION": 1}
    assert sum(actors.state_totals().values()) == actors.total


def test_events_are_normalised_and_sorted() -> None:
    events = parse_events(body("events"), URL)
    assert events and all(isinstance(event.time, float) for event in events)
    assert [event.time for event in events] == sorted(event.time or 0 for event in events)
    raw = json.loads(body("events"))["data"]["events"]
    kinds = {type(e["timestamp"]).__name__ for group in raw.values() for e in group}
    assert kinds == {"str", "int"}  # why normalising is needed
    assert any(event.job_id for event in events)
    assert any(event.severity == "ERROR" for event in events)  # the crashed worker


def test_event_time_units() -> None:
    assert event_time("1796016985") == 1796016985.0
    assert event_time(1796016985123) == pytest.approx(1796016985.123)
    assert event_time(1796016985123456789) == pytest.approx(1796016985.123456789)
    assert event_time(None) is None and event_time("soon") is None
    assert event_time("inf") is None and event_time("nan") is None  # never a hang


def test_serve_without_ray_serve_is_a_state() -> None:
    serve = run(api_answering("serve_applications").serve())
    assert not serve.installed
    assert serve.reason == "Serve is not installed on the head (ray[serve])"


def test_node_logs_and_log_file() -> None:
    files = run(api_answering("node_logs").node_logs("n"))
    assert "raylet" in files and any(f.startswith("worker-") for f in files["worker_out"])
    text = run(api_answering("log_file_crasher_err").log_file(actor_id="a" * 32, suffix="err"))
    assert "constructor failed on purpose" in text


# Error shapes -> one line ------------------------------------------------------------------------

ERRORS = {
    "error_bad_filter_column": ("rejected", "filter column bogus is not supported"),
    "error_bad_predicate": ("rejected", "Unsupported filter predicate ~"),
    "error_limit_too_large": ("rejected", "exceeds the supported limit 10000"),
    "error_bad_node_id": ("rejected", "failed internally and gave no reason"),
    "error_cluster_events_500": ("rejected", "failed internally and gave no reason"),
    "error_not_found": ("bad response", "answered 404"),
    "error_401_no_token": ("unauthorized", "token"),
    "error_403_wrong_token": ("unauthorized", "token"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_every_error_shape_is_one_clear_line(name: str) -> None:
    state, words = ERRORS[name]
    with pytest.raises(DashboardError) as caught:
        run(api_answering(name).list_of("actors", limit=5))
    message = str(caught.value)
    assert caught.value.state == state
    assert words in message
    assert "\n" not in message and len(message) < 600


def test_missing_log_file_shapes() -> None:
    """Before the first byte: 500 with text. After the headers: an empty 200."""
    for name in ("error_log_file_missing", "error_log_file_missing_out"):
        record = meta(name)
        api = api_answering(name)
        if record["status"] == 200:
            assert run(api.log_file(node_id="n", filename="no-such.log")) == ""
        else:
            with pytest.raises(DashboardError, match="file is not found"):
                run(api.log_file(node_id="n", filename="no-such.log"))


@pytest.mark.parametrize(
    ("status", "text", "content_type", "expected"),
    [
        (500, "Traceback ...\nValueError: boom", "text/plain", "Traceback ... ValueError: boom"),
        (
            500,
            "500 Internal Server Error\n\nServer got itself in trouble",
            "text/plain",
            "no reason",
        ),
        (
            400,
            '{"result": false, "msg": "bad\\nthing", "data": {}}',
            "application/json",
            "bad thing",
        ),
        (502, "", "text/plain", "(no reason given)"),
    ],
)
def test_hand_made_error_bodies(status: int, text: str, content_type: str, expected: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text=text, headers={"content-type": content_type})

    api = StateApi(DashboardClient(URL, no_token(), transport=httpx.MockTransport(handler)))
    with pytest.raises(DashboardError) as caught:
        run(api.actors())
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_garbage_and_html_are_bad_responses() -> None:
    for text, content_type in (("not json", "application/json"), ("<html></html>", "text/html")):

        def handler(
            request: httpx.Request, text: str = text, kind: str = content_type
        ) -> httpx.Response:
            return httpx.Response(200, text=text, headers={"content-type": kind})

        api = StateApi(DashboardClient(URL, no_token(), transport=httpx.MockTransport(handler)))
        with pytest.raises(DashboardBadResponse):
            run(api.tasks())


def test_requests_carry_limit_filters_and_ask_for_gzip() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=body("tasks_live"))

    api = StateApi(DashboardClient(URL, no_token(), transport=httpx.MockTransport(handler)))
    run(api.live_tasks([StateFilter("job_id", "=", "02000000")], limit=50))
    request = seen[0]
    assert request.headers["accept-encoding"] == "gzip"  # decoded within the cap (client.py)
    query = request.url.params
    assert query["limit"] == "50"
    assert query.get_list("filter_keys") == ["state", "job_id"]
    assert query.get_list("filter_predicates") == ["!=", "="]
    assert query.get_list("filter_values") == ["FINISHED", "02000000"]


def test_error_reason_prefers_json_msg() -> None:
    assert error_reason('{"result": false, "msg": "nope"}') == "nope"
    assert error_reason("A file is not found at: /x") == "A file is not found at: /x"


# Filters, log names, kill command ------------------------------------------------------------


def test_parse_filter() -> None:
    assert parse_filter("state=ALIVE") == StateFilter("state", "=", "ALIVE")
    assert parse_filter("state!=FINISHED") == StateFilter("state", "!=", "FINISHED")
    assert parse_filter("name=a=b") == StateFilter("name", "=", "a=b")
    for bad in ("state", "=x", "bad key=1"):
        with pytest.raises(ValueError):
            parse_filter(bad)


def test_log_params() -> None:
    assert log_params(node_id="n", filename="raylet.out") == [
        ("node_id", "n"),
        ("filename", "raylet.out"),
    ]
    assert ("suffix", "err") in log_params(actor_id="a", suffix="err")
    for bad in ({"filename": "x"}, {}, {"actor_id": "a", "suffix": "log"}):
        with pytest.raises(ValueError):
            log_params(**bad)  # type: ignore[arg-type]


def test_kill_entrypoint_quotes_what_it_is_given() -> None:
    command = kill_entrypoint("a; rm -rf ~", "ns $(x)")
    assert command == (
        "ray kill-actor --name 'a; rm -rf ~' --namespace 'ns $(x)' --force --no-restart"
    )


# Pending ---------------------------------------------------------------------------------------


def test_pending_tells_infeasible_from_waiting() -> None:
    tasks = parse_list(Task, body("tasks_pending_detail"), URL, 100).items
    actors = parse_list(Actor, body("actors_detail"), URL, 100).items
    groups = parse_list(PlacementGroup, body("placement_groups_detail"), URL, 100).items
    nodes = parse_list(Node, body("nodes"), URL, 100).items
    status = json.loads(body("cluster_status_text"))["data"]["clusterStatus"]
    report = analyse(tasks, actors, groups, nodes, status)
    verdicts = {(item.kind, item.name): item.verdict for item in report.items}
    assert verdicts[("task", "needs_gpu")] == INFEASIBLE
    assert verdicts[("actor", "GpuActor")] == INFEASIBLE
    assert verdicts[("placement group", "sovtui-infeasible")] == INFEASIBLE
    assert verdicts[("task", "sleeper")] == WAITING
    assert ("task", "GpuActor.__init__") not in verdicts  # reported once, as the actor
    lines = report.lines()
    assert any("asks for GPU 1; no alive node has GPU" in line for line in lines)
    assert any("asks for CPU 2; fits on 1 alive node" in line for line in lines)
    assert report.banner() == "4 pending (3 infeasible)"
    assert any("'GPU': 1.0" in demand for demand in report.autoscaler_demands)


def test_judge() -> None:
    node = Node(node_id="n", state="ALIVE", resources_total={"CPU": 4.0, "memory": 2.0**31})
    assert judge_resources({"CPU": 8.0}, [node])[1] == "the largest alive node has CPU 4"
    assert judge_resources({"CPU": 1.0}, [node])[0] == WAITING
    dead = Node(node_id="d", state="DEAD", resources_total={"GPU": 8.0})
    assert judge_resources({"GPU": 1.0}, [node, dead]) == (INFEASIBLE, "no alive node has GPU")
    pg = "ab" * 18
    assert judge_resources({f"CPU_group_0_{pg}": 1.0}, [node])[0] == PENDING_PG


def test_autoscaler_demands_none() -> None:
    text = "Pending Demands:\n (no resource demands)\n"
    assert autoscaler_demands(text) == []
    assert autoscaler_demands("") == []


def test_recordings_exist() -> None:
    assert Path(EXPLORER / "index.json").is_file()
