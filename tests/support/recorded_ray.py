"""Serve responses recorded from a real Ray 2.60 head over httpx (the scripts in tests/recording
record them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from sovtui.cluster.connect import MODE_ATTACHED, Connection
from sovtui.ray_api.client import DashboardClient
from tests.support.clocks import FROZEN_NOW
from tests.support.tokens import no_token

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"
RAY_260 = RECORDED / "ray-2.60.0"
RAY_260_V2 = RECORDED / "ray-2.60.0-autoscaler-v2"
# One job's details and driver log per file (tests/recording/record_job_responses.py);
# index.json names the succeeded and the failed one.
RAY_260_JOBS = RECORDED / "ray-2.60.0-jobs"
# A small sort-bench and train-bench job, baselines and scaling included
# (tests/recording/record_bench_responses.py); index.json names them "sort" and "train".
RAY_260_BENCH = RECORDED / "ray-2.60.0-bench"

ROUTES = {
    "/api/version": "version.json",
    "/api/cluster_status": "cluster_status.json",
    "/nodes": "nodes_summary.json",
    "/api/v0/nodes": "v0_nodes.json",
    "/api/jobs/": "jobs.json",
    "/api/gcs_healthz": None,
}


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text())


class RecordedRay:
    """An httpx transport answering like the recorded cluster; counts requests per path.

    `override` lets a test swap one answer (e.g. a 1000-node summary built from recorded nodes).
    """

    def __init__(self, folder: Path = RAY_260, jobs_folder: Path = RAY_260_JOBS) -> None:
        self.folder = folder
        self.jobs_folder = jobs_folder
        self.requests: list[str] = []
        self.override: dict[str, Callable[[httpx.Request], httpx.Response]] = {}
        self.failing: Callable[[httpx.Request], httpx.Response] | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append(path)
        if self.failing is not None:
            return self.failing(request)
        if path in self.override:
            return self.override[path](request)
        if path not in ROUTES:
            return self._job_answer(path)
        name = ROUTES[path]
        if name is None:
            return httpx.Response(200, text="success")
        return httpx.Response(
            200,
            content=(self.folder / name).read_bytes(),
            headers={"content-type": "application/json"},
        )

    def _job_answer(self, path: str) -> httpx.Response:
        """`/api/jobs/{id}` and `/api/jobs/{id}/logs` of the recorded jobs."""
        parts = path.strip("/").split("/")
        file = None
        if parts[:2] == ["api", "jobs"] and len(parts) == 3:
            file = self.jobs_folder / "jobs" / f"{parts[2]}.json"
        elif parts[:2] == ["api", "jobs"] and len(parts) == 4 and parts[3] == "logs":
            file = self.jobs_folder / "logs" / f"{parts[2]}.json"
        if file is None or not file.is_file():
            return httpx.Response(404, text="404: Not Found")
        return httpx.Response(
            200, content=file.read_bytes(), headers={"content-type": "application/json"}
        )

    def recorded_job(self, outcome: str) -> str:
        """The submission id of the recorded 'succeeded' or 'failed' job."""
        return str(load(self.jobs_folder, "index.json")[outcome])

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


def replicated_summary(folder: Path, count: int) -> bytes:
    """A /nodes?view=summary body with `count` nodes made by copying the recorded ones."""
    body = load(folder, "nodes_summary.json")
    template = body["data"]["summary"][0]
    nodes = []
    for index in range(count):
        node = json.loads(json.dumps(template))
        node["raylet"]["nodeId"] = f"{index:08x}" + template["raylet"]["nodeId"][8:]
        node["raylet"]["isHeadNode"] = index == 0
        node["ip"] = f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
        nodes.append(node)
    body["data"]["summary"] = nodes
    return json.dumps(body).encode()


def recorded_connection(recorded: RecordedRay, clock: float = FROZEN_NOW) -> Connection:
    """An attached connection whose client is answered by `recorded`, at a frozen time."""
    client = DashboardClient(
        "http://127.0.0.1:8265", no_token(), transport=recorded.transport(), clock=lambda: clock
    )
    return Connection(client, MODE_ATTACHED, "--address")
