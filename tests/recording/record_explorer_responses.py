"""Record the explorer's endpoints from a real Ray head, for unit and snapshot tests.

Run:  .venv/bin/python tests/recording/record_explorer_responses.py
It starts sovtui's embedded head (a real `ray start --head`, 2 CPUs, no GPU), submits
tests/support/explorer_driver.py with Ray's own `ray job submit` (named, detached, dead and pending
actors; finished, failed, running, waiting and infeasible tasks; a placed and an infeasible
placement group; objects), waits for its `EXPLORER READY`, then saves what each endpoint answers
(status code, content type and body, byte for byte) to tests/data/recorded/ray-2.60.0-explorer/,
including the error shapes: a bad filter column (400 JSON), a limit past 10,000 (400 JSON), a
missing log file (500 text), a bad node id (Ray's generic 500), a missing token (401), a wrong
token (403), Serve without ray[serve] (501) and `/api/v0/cluster_events` after a worker crash
(500). Nothing here is invented by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sovtui.cluster.embedded_head import ray_executable, start_embedded_head
from sovtui.settings.model import EmbeddedHeadSettings

DRIVER = Path(__file__).resolve().parents[1] / "support" / "explorer_driver.py"
SUBMISSION_ID = "explorer-driver"


def submit_driver(url: str, token: str) -> None:
    env = dict(os.environ, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    subprocess.run(
        [
            ray_executable(),
            "job",
            "submit",
            "--address",
            url,
            "--submission-id",
            SUBMISSION_ID,
            "--no-wait",
            "--",
            sys.executable,
            str(DRIVER),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env=env,
    )


def wait_ready(http: httpx.Client, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = http.get(f"/api/jobs/{SUBMISSION_ID}/logs").json().get("logs", "")
        if "EXPLORER READY" in logs:
            break
        status = http.get(f"/api/jobs/{SUBMISSION_ID}").json().get("status")
        if status in ("FAILED", "STOPPED", "SUCCEEDED"):
            raise RuntimeError(f"the explorer driver ended {status}:\n{logs}")
        time.sleep(1)
    else:
        raise RuntimeError("the explorer driver did not get ready")
    # Task events reach the GCS about a second after the fact: wait until every state is in.
    while time.monotonic() < deadline:
        body = http.get("/api/v0/tasks/summarize").json()
        summary = body["data"]["result"]["result"]["node_id_to_summary"]["cluster"]["summary"]
        if summary.get("fail", {}).get("state_counts", {}).get("FAILED") == 3 and (
            summary.get("sleeper", {}).get("state_counts", {}).get("RUNNING") == 1
        ):
            return
        time.sleep(0.5)
    raise RuntimeError("task events did not arrive")


def save(folder: Path, name: str, response: httpx.Response) -> None:
    record = {
        "status": response.status_code,
        "content_type": response.headers.get("content-type", ""),
        "path": str(response.request.url.raw_path.decode()),
    }
    (folder / f"{name}.meta.json").write_text(json.dumps(record, indent=1) + "\n")
    (folder / f"{name}.body").write_bytes(response.content)
    print(f"recorded {record['path']} -> {name} ({response.status_code})")


@contextmanager
def driver_ready(url: str, token: str, folder: Path) -> Iterator[httpx.Client]:
    """A client of the head at `url` once the explorer driver (submitted here) is ready, with
    `folder` made for what it records. identity: the bodies are saved as Ray sends them."""
    folder.mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    with httpx.Client(base_url=url, timeout=30, headers=headers) as http:
        submit_driver(url, token)
        wait_ready(http)
        yield http


def record(url: str, token: str, folder: Path) -> None:
    with driver_ready(url, token, folder) as http:
        node_id = http.get("/api/v0/nodes").json()["data"]["result"]["result"][0]["node_id"]
        actors = http.get("/api/v0/actors", params={"limit": 100}).json()["data"]["result"]
        by_class = {a["class_name"]: a["actor_id"] for a in actors["result"]}
        live = [
            ("filter_keys", "state"),
            ("filter_predicates", "!="),
            ("filter_values", "FINISHED"),
        ]
        calls: dict[str, tuple[str, list[tuple[str, str | int | float | bool | None]]]] = {
            "actors": ("/api/v0/actors", [("limit", 100)]),
            "actors_detail": ("/api/v0/actors", [("limit", 100), ("detail", "true")]),
            "tasks": ("/api/v0/tasks", [("limit", 100)]),
            "tasks_live": ("/api/v0/tasks", [("limit", 100), *live]),
            "tasks_pending_detail": (
                "/api/v0/tasks",
                [
                    ("limit", 100),
                    ("detail", "true"),
                    ("filter_keys", "state"),
                    ("filter_predicates", "="),
                    ("filter_values", "PENDING_NODE_ASSIGNMENT"),
                ],
            ),
            "tasks_failed_detail": (
                "/api/v0/tasks",
                [
                    ("limit", 100),
                    ("detail", "true"),
                    ("filter_keys", "func_or_class_name"),
                    ("filter_predicates", "="),
                    ("filter_values", "fail"),
                ],
            ),
            "tasks_limit_5": ("/api/v0/tasks", [("limit", 5)]),
            "placement_groups_detail": (
                "/api/v0/placement_groups",
                [("limit", 100), ("detail", "true")],
            ),
            "objects": ("/api/v0/objects", [("limit", 100)]),
            "workers_alive": (
                "/api/v0/workers",
                [
                    ("limit", 100),
                    ("filter_keys", "is_alive"),
                    ("filter_predicates", "="),
                    ("filter_values", "true"),
                ],
            ),
            "nodes": ("/api/v0/nodes", [("limit", 100)]),
            "jobs": ("/api/v0/jobs", [("limit", 100)]),
            "tasks_summary": ("/api/v0/tasks/summarize", []),
            "actors_summary": ("/api/v0/actors/summarize", []),
            "objects_summary": ("/api/v0/objects/summarize", []),
            "events": ("/events", []),
            "cluster_status_text": ("/api/cluster_status", [("format", 1)]),
            "serve_applications": ("/api/serve/applications/", []),
            "node_logs": ("/api/v0/logs", [("node_id", node_id)]),
            "log_file_crasher_err": (
                "/api/v0/logs/file",
                [
                    ("actor_id", by_class["Crasher"]),
                    ("suffix", "err"),
                    ("lines", 50),
                    ("filter_ansi_code", "true"),
                ],
            ),
            # Error shapes, each as Ray 2.60 really answers it.
            "error_bad_filter_column": (
                "/api/v0/actors",
                [
                    ("limit", 5),
                    ("filter_keys", "bogus"),
                    ("filter_predicates", "="),
                    ("filter_values", "x"),
                ],
            ),
            "error_bad_predicate": (
                "/api/v0/tasks",
                [
                    ("limit", 5),
                    ("filter_keys", "state"),
                    ("filter_predicates", "~"),
                    ("filter_values", "x"),
                ],
            ),
            "error_limit_too_large": ("/api/v0/actors", [("limit", 20000)]),
            "error_log_file_missing": (
                "/api/v0/logs/file",
                [("node_id", node_id), ("filename", "no-such.log"), ("lines", 5)],
            ),
            # Ray streams the file: an error found before the first byte is a 500 with text,
            # one found after the headers went out is an empty 200. Both happen.
            "error_log_file_missing_out": (
                "/api/v0/logs/file",
                [("node_id", node_id), ("filename", "no-such-file.out"), ("lines", 5)],
            ),
            "error_bad_node_id": ("/api/v0/logs", [("node_id", "0123")]),
            "error_cluster_events_500": ("/api/v0/cluster_events", [("limit", 5)]),
            "error_not_found": ("/api/v0/no_such_resource", [("limit", 5)]),
        }
        for name, (path, params) in calls.items():
            save(folder, name, http.get(path, params=params))
        save(folder, "error_401_no_token", httpx.get(f"{url}/api/v0/actors", params={"limit": 1}))
        save(
            folder,
            "error_403_wrong_token",
            httpx.get(
                f"{url}/api/v0/actors",
                params={"limit": 1},
                headers={"Authorization": "Bearer not-the-token"},
            ),
        )
        index = {"node_id": node_id, "actors_by_class": by_class}
        (folder / "index.json").write_text(json.dumps(index, indent=1) + "\n")
        http.post(f"/api/jobs/{SUBMISSION_ID}/stop")


def record_on_new_head(record: Callable[[str, str, Path], None], suffix: str) -> None:
    """`record(url, token, folder)` against a fresh head, into ray-VERSION-SUFFIX."""
    out = Path(__file__).resolve().parents[1] / "data" / "recorded"
    head = start_embedded_head(
        EmbeddedHeadSettings(num_cpus=2, object_store_mb=200), progress=print
    )
    try:
        headers = {"Authorization": f"Bearer {head.token}"}
        version = httpx.get(f"{head.dashboard_url}/api/version", headers=headers).json()[
            "ray_version"
        ]
        record(head.dashboard_url, head.token, out / f"ray-{version}-{suffix}")
    finally:
        head.stop()


def main() -> None:
    record_on_new_head(record, "explorer")


if __name__ == "__main__":
    main()
