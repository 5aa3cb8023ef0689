"""Record what the Job screen's drill-down asks a real Ray head, for its tests.

Run:  .venv/bin/python tests/recording/record_job_drilldown_responses.py
Like record_explorer_responses.py it starts sovtui's embedded head (a real `ray start --head`,
2 CPUs, no GPU) and submits tests/support/explorer_driver.py with `ray job submit`; once the
driver is ready it saves, to tests/data/recorded/ray-2.60.0-explorer-job/, byte for byte: the
job's record (`/api/jobs/explorer-driver`, which carries Ray's job id) and its log, the job's
actors, the summary of its tasks and its failed tasks (each filtered by Ray's job id), the detail
of the Crasher actor and of one failed `fail` task, and the stderr of each (`/api/v0/logs/file`
by actor id and by task id). index.json names the ids. Nothing here is invented by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.recording.record_explorer_responses import (
    SUBMISSION_ID,
    driver_ready,
    record_on_new_head,
    save,
)

Params = list[tuple[str, str | int | float | bool | None]]


def where(*filters: tuple[str, str, str]) -> Params:
    params: Params = []
    for key, predicate, value in filters:
        params += [("filter_keys", key), ("filter_predicates", predicate), ("filter_values", value)]
    return params


def record(url: str, token: str, folder: Path) -> None:
    with driver_ready(url, token, folder) as http:
        job = http.get(f"/api/jobs/{SUBMISSION_ID}").json()
        job_id = job["job_id"]
        mine = where(("job_id", "=", job_id))
        actors = http.get("/api/v0/actors", params=[("limit", 100), *mine]).json()
        crasher = next(
            a["actor_id"]
            for a in actors["data"]["result"]["result"]
            if a["class_name"] == "Crasher"
        )
        failed = http.get(
            "/api/v0/tasks", params=[("limit", 100), *mine, *where(("state", "=", "FAILED"))]
        ).json()
        fail_task = next(
            t["task_id"]
            for t in failed["data"]["result"]["result"]
            if t["func_or_class_name"] == "fail"
        )
        calls: dict[str, tuple[str, Params]] = {
            "job": (f"/api/jobs/{SUBMISSION_ID}", []),
            "job_logs": (f"/api/jobs/{SUBMISSION_ID}/logs", []),
            "actors_job_detail": (
                "/api/v0/actors",
                [("limit", 200), ("detail", "true"), *mine],
            ),
            "tasks_summary_job": ("/api/v0/tasks/summarize", mine),
            "tasks_failed_job": (
                "/api/v0/tasks",
                [("limit", 50), *mine, *where(("state", "=", "FAILED"))],
            ),
            "actor_crasher_detail": (
                "/api/v0/actors",
                [("limit", 1), ("detail", "true"), *where(("actor_id", "=", crasher))],
            ),
            "task_fail_detail": (
                "/api/v0/tasks",
                [("limit", 1), ("detail", "true"), *where(("task_id", "=", fail_task))],
            ),
            "log_file_crasher_err": (
                "/api/v0/logs/file",
                [("actor_id", crasher), ("suffix", "err"), ("lines", 1000)],
            ),
            "log_file_task_fail_err": (
                "/api/v0/logs/file",
                [
                    ("task_id", fail_task),
                    ("suffix", "err"),
                    ("lines", 1000),
                    ("filter_ansi_code", "true"),
                ],
            ),
        }
        for name, (path, params) in calls.items():
            save(folder, name, http.get(path, params=params))
        index = {
            "submission_id": SUBMISSION_ID,
            "job_id": job_id,
            "crasher": crasher,
            "fail_task": fail_task,
        }
        (folder / "index.json").write_text(json.dumps(index, indent=1) + "\n")
        http.post(f"/api/jobs/{SUBMISSION_ID}/stop")


def main() -> None:
    record_on_new_head(record, "explorer-job")


if __name__ == "__main__":
    main()
