"""Record real benchmark jobs (details and driver log) for the Bench screen's snapshot tests.

Run:  .venv/bin/python tests/recording/record_bench_responses.py [sort] [train]
(no names: both; with names, only those are recorded again and the others are kept).
It starts sovtui's embedded head (a real `ray start --head`, 2 CPUs), launches the shipped
`sort-bench` preset (small, with the numpy and Ray Data baselines and a 1,2 scaling study) and
the shipped `train-bench` preset (tiny MLP, 1,2 scaling study, single-process torch baseline)
through sovtui's own launch code, waits for both to end and saves what Ray answers to
`GET /api/jobs/{id}` and `GET /api/jobs/{id}/logs` under tests/data/recorded/ray-2.60.0-bench/.
The SOVTUI_METRIC lines in those logs are what the workloads printed: nothing is invented.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from sovtui.cluster.embedded_head import start_embedded_head
from sovtui.presets.launch import launch
from sovtui.presets.loader import load_file
from sovtui.ray_api.auth import explicit_token
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.jobs import JobsApi
from sovtui.settings.model import EmbeddedHeadSettings
from tests.recording.record_job_responses import save_job_answers

TESTS = Path(__file__).resolve().parents[1]
PRESETS = TESTS.parent / "configs" / "presets"
OUT = TESTS / "data" / "recorded" / "ray-2.60.0-bench"
RUNS: dict[str, tuple[str, dict[str, object]]] = {
    "sort": (
        "sort-bench.yaml",
        {"keys": 200_000, "partitions": 2, "repeat": 2, "baselines": True, "scaling": "1,2"},
    ),
    "train": (
        "train-bench.yaml",
        {
            "epochs": 3,
            "batch-size": 256,
            "repeat-data": 3,
            "hidden": 64,
            "scaling": "1,2",
            "gpu": "no",
            "baselines": True,
        },
    ),
}


async def record(url: str, token: str, names: list[str]) -> None:
    client = DashboardClient(url, explicit_token(token, "recording head"), timeout=60)
    jobs = JobsApi(client)
    index_path = OUT / "index.json"
    index: dict[str, str] = json.loads(index_path.read_text()) if index_path.is_file() else {}
    old = {name: index[name] for name in names if name in index}
    try:
        for name in names:
            file, values = RUNS[name]
            launched = await launch(client, load_file(PRESETS / file), values)
            details = await jobs.wait(launched.submission_id, timeout_s=600)
            print(f"{name}: {launched.submission_id} {details.status}")
            index[name] = launched.submission_id
        await save_job_answers(client, {name: index[name] for name in names}, OUT)
        index_path.write_text(json.dumps(index, indent=1) + "\n")  # the kept runs too
        for job_id in old.values():  # the answers of a job recorded again go with it
            for folder in ("jobs", "logs"):
                (OUT / folder / f"{job_id}.json").unlink(missing_ok=True)
    finally:
        await client.aclose()


def main() -> None:
    names = sys.argv[1:] or list(RUNS)
    unknown = sorted(set(names) - set(RUNS))
    if unknown:
        raise SystemExit(f"unknown run(s) {unknown}: pick from {sorted(RUNS)}")
    head = start_embedded_head(EmbeddedHeadSettings(num_cpus=2, object_store_mb=300), print)
    try:
        asyncio.run(record(head.dashboard_url, head.token, names))
    finally:
        head.stop()


if __name__ == "__main__":
    main()
