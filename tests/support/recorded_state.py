"""The State API answered from the recordings of a real Ray 2.60 head
(tests/data/recorded/ray-2.60.0-explorer, made by tests/recording/record_explorer_responses.py).

List routes apply what the request asks like Ray does: `=`/`!=` filters and the limit over the
recorded rows (detail rows merged in, so `enter` on any recorded row has its detail), with
`total`/`num_filtered` set to match; summaries, `/events` and Serve's 501 are served as recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar, overload

import httpx

from tests.support.recorded_ray import RAY_260, RECORDED, RecordedRay

EXPLORER = RECORDED / "ray-2.60.0-explorer"

# kind -> the recordings its rows come from, the first one the base, the others detail.
LISTS = {
    "actors": ("actors_detail",),
    "tasks": ("tasks", "tasks_failed_detail", "tasks_pending_detail"),
    "placement_groups": ("placement_groups_detail",),
    "objects": ("objects",),
    "workers": ("workers_alive",),
    "jobs": ("jobs",),
}
ID_FIELDS = {
    "actors": "actor_id",
    "tasks": "task_id",
    "placement_groups": "placement_group_id",
    "objects": "object_id",
    "workers": "worker_id",
    "jobs": "job_id",
}
AS_RECORDED = {
    "/api/v0/tasks/summarize": "tasks_summary",
    "/api/v0/actors/summarize": "actors_summary",
    "/api/v0/objects/summarize": "objects_summary",
    "/events": "events",
    "/api/serve/applications/": "serve_applications",
    "/api/cluster_status?format=1": "cluster_status_text",
}


def recorded_body(name: str) -> bytes:
    return (EXPLORER / f"{name}.body").read_bytes()


def recorded_meta(name: str) -> dict[str, Any]:
    return dict(json.loads((EXPLORER / f"{name}.meta.json").read_text()))


def explorer_index() -> dict[str, Any]:
    return dict(json.loads((EXPLORER / "index.json").read_text()))


def recorded_rows(kind: str) -> list[dict[str, Any]]:
    """Every recorded row of `kind`, detail fields merged in where a detail answer had them."""
    rows: dict[str, dict[str, Any]] = {}
    key = ID_FIELDS[kind]
    for name in LISTS[kind]:
        document = json.loads(recorded_body(name))
        for row in document["data"]["result"]["result"]:
            rows.setdefault(str(row.get(key)), {}).update(row)
    return list(rows.values())


def _matches(row: dict[str, Any], key: str, predicate: str, value: str) -> bool:
    field = row.get(key)
    text = str(field).lower() if isinstance(field, bool) else str(field)
    equal = text == (value.lower() if isinstance(field, bool) else value)
    return equal if predicate == "=" else not equal


def list_answer(kind: str, request: httpx.Request) -> httpx.Response:
    params = request.url.params
    rows = recorded_rows(kind)
    kept = rows
    for key, predicate, value in zip(
        params.get_list("filter_keys"),
        params.get_list("filter_predicates"),
        params.get_list("filter_values"),
        strict=True,
    ):
        kept = [row for row in kept if _matches(row, key, predicate, value)]
    limit = int(params.get("limit", "100"))
    answer = {
        "result": True,
        "msg": "",
        "data": {
            "result": {
                "total": len(rows),
                "num_after_truncation": len(rows),
                "num_filtered": len(kept),
                "result": kept[:limit],
                "partial_failure_warning": "",
                "warnings": None,
            }
        },
    }
    return httpx.Response(
        200, content=json.dumps(answer).encode(), headers={"content-type": "application/json"}
    )


def as_recorded(name: str) -> Callable[[httpx.Request], httpx.Response]:
    meta = recorded_meta(name)

    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            meta["status"],
            content=recorded_body(name),
            headers={"content-type": meta["content_type"]},
        )

    return answer


R = TypeVar("R", bound=RecordedRay)


@overload
def explorer_ray(recorded: None = None) -> RecordedRay: ...


@overload
def explorer_ray(recorded: R) -> R: ...


def explorer_ray(recorded: RecordedRay | None = None) -> RecordedRay:
    """`recorded` (else a RecordedRay of the 2.60 dashboard answers) that also answers the
    explorer's State API, events and Serve routes from the explorer recordings."""
    recorded = recorded if recorded is not None else RecordedRay(RAY_260)
    for kind in LISTS:
        recorded.override[f"/api/v0/{kind}"] = partial(list_answer, kind)
    for path, name in AS_RECORDED.items():
        recorded.override[path.split("?")[0]] = as_recorded(name)
    return recorded
