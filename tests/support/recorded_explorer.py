"""The explorer's answers recorded from a real Ray 2.60 head
(tests/recording/record_explorer_responses.py), served on top of the dashboard's recorded answers:
`RecordedExplorer()` is a RecordedRay that also answers the State API, the autoscaler's text and
the log routes, each with the recording that fits the request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.support.recorded_ray import RECORDED, RecordedRay

RAY_260_EXPLORER = RECORDED / "ray-2.60.0-explorer"


def explorer_index() -> dict[str, Any]:
    return dict(json.loads((RAY_260_EXPLORER / "index.json").read_text()))


def recorded_answer(name: str, folder: Path = RAY_260_EXPLORER) -> httpx.Response:
    meta = json.loads((folder / f"{name}.meta.json").read_text())
    return httpx.Response(
        meta["status"],
        content=(folder / f"{name}.body").read_bytes(),
        headers={"content-type": meta["content_type"]},
    )


def _recording_for(request: httpx.Request) -> str | None:
    path = request.url.path
    query = request.url.params
    values = query.get_list("filter_values")
    detail = query.get("detail") == "true"
    if path == "/api/v0/tasks":
        if "PENDING_NODE_ASSIGNMENT" in values:
            return "tasks_pending_detail"
        if "FINISHED" in values:
            return "tasks_live"
        return "tasks"
    if path == "/api/v0/actors":
        return "actors_detail" if detail else "actors"
    simple = {
        "/api/v0/placement_groups": "placement_groups_detail",
        "/api/v0/nodes": "nodes",
        "/api/v0/workers": "workers_alive",
        "/api/v0/logs": "node_logs",
        "/api/v0/logs/file": "log_file_crasher_err",
        "/api/v0/logs/stream": "log_file_crasher_err",  # the file, then the stream ends
        "/events": "events",
    }
    if path in simple:
        return simple[path]
    if path == "/api/cluster_status" and query.get("format") == "1":
        return "cluster_status_text"
    return None


class RecordedExplorer(RecordedRay):
    """RecordedRay plus the explorer's routes; `log_text` replaces every log file's content."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.log_text: str | None = None
        self.log_asked: list[tuple[str, httpx.QueryParams]] = []  # (path, query) of log reads

    def handler(self, request: httpx.Request) -> httpx.Response:
        name = _recording_for(request)
        if name is None or self.failing is not None or request.url.path in self.override:
            return super().handler(request)
        self.requests.append(request.url.path)
        if request.url.path.startswith("/api/v0/logs/"):
            self.log_asked.append((request.url.path, request.url.params))
        if self.log_text is not None and request.url.path.startswith("/api/v0/logs/"):
            content = self.log_text.encode()
        else:
            answer = recorded_answer(name)
            if not request.url.path.startswith("/api/v0/logs/"):
                return answer
            content = answer.content
        # A stream (the log routes are read chunk by chunk), not a body read already.
        return httpx.Response(
            200, stream=httpx.ByteStream(content), headers={"content-type": "text/plain"}
        )
