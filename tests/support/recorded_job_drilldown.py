"""The Job screen's drill-down answered from a real Ray 2.60 head's recordings
(tests/recording/record_job_drilldown_responses.py): the explorer driver's job record and log,
its actors, task summary and failed tasks filtered by Ray's job id, the Crasher's and a failed
task's detail and stderr. A request the recordings do not answer (another filter, no filter)
gets a 404, so a test sees when the screen asks something else."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.recorded_ray import RECORDED, RecordedRay

JOB_DRILLDOWN = RECORDED / "ray-2.60.0-explorer-job"
DRILLDOWN_PATHS = frozenset(
    {
        "/api/v0/actors",
        "/api/v0/tasks",
        "/api/v0/tasks/summarize",
        "/api/v0/logs/file",
        "/api/v0/logs/stream",
    }
)


def drilldown_index() -> dict[str, Any]:
    return dict(json.loads((JOB_DRILLDOWN / "index.json").read_text()))


def _answer(name: str, *, stream: bool = False) -> httpx.Response:
    meta = json.loads((JOB_DRILLDOWN / f"{name}.meta.json").read_text())
    body = (JOB_DRILLDOWN / f"{name}.body").read_bytes()
    headers = {"content-type": meta["content_type"]}
    if stream:  # the log routes are read chunk by chunk
        return httpx.Response(meta["status"], stream=httpx.ByteStream(body), headers=headers)
    return httpx.Response(meta["status"], content=body, headers=headers)


class RecordedJobDrilldown(RecordedRay):
    """RecordedRay plus the drill-down's routes; `asked` keeps (path, query) of each of them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = drilldown_index()
        self.asked: list[tuple[str, httpx.QueryParams]] = []

    def _name(self, request: httpx.Request) -> str | None:
        path, query = request.url.path, request.url.params
        filters = dict(
            zip(query.get_list("filter_keys"), query.get_list("filter_values"), strict=True)
        )
        index = self.index
        job = filters.get("job_id") == index["job_id"]
        if path == f"/api/jobs/{index['submission_id']}":
            return "job"
        if path == f"/api/jobs/{index['submission_id']}/logs":
            return "job_logs"
        if path == "/api/v0/actors":
            if filters.get("actor_id") == index["crasher"]:
                return "actor_crasher_detail"
            return "actors_job_detail" if job and len(filters) == 1 else None
        if path == "/api/v0/tasks":
            if filters.get("task_id") == index["fail_task"]:
                return "task_fail_detail"
            return "tasks_failed_job" if job and filters.get("state") == "FAILED" else None
        if path == "/api/v0/tasks/summarize":
            return "tasks_summary_job" if job else None
        if path in ("/api/v0/logs/file", "/api/v0/logs/stream"):
            if query.get("actor_id") == index["crasher"] and query.get("suffix") == "err":
                return "log_file_crasher_err"
            if query.get("task_id") == index["fail_task"] and query.get("suffix") == "err":
                return "log_file_task_fail_err"
        return None

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        job_path = f"/api/jobs/{self.index['submission_id']}"
        drilldown = path in DRILLDOWN_PATHS or path.startswith(job_path)
        if not drilldown or self.failing is not None or path in self.override:
            return super().handler(request)
        self.requests.append(path)
        self.asked.append((path, request.url.params))
        name = self._name(request)
        if name is None:
            return httpx.Response(404, text="not recorded")
        return _answer(name, stream=path.startswith("/api/v0/logs/"))
