"""Record a real job's answers (details and driver log) for the job screen's snapshot tests.

Run:  .venv/bin/python tests/recording/record_job_responses.py
It starts sovtui's embedded head (a real `ray start --head`), launches the `tick` test preset
(tests/data/tui_presets/tick.yaml) twice through sovtui's own launch code, once succeeding and
once failing on purpose, waits for both to end and saves what Ray answers to
`GET /api/jobs/{id}` and `GET /api/jobs/{id}/logs` under tests/data/recorded/ray-2.60.0-jobs/.
Nothing here is invented by hand.
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

TESTS = Path(__file__).resolve().parents[1]
PRESET = TESTS / "data" / "tui_presets" / "tick.yaml"
OUT = TESTS / "data" / "recorded" / "ray-2.60.0-jobs"
RUNS: dict[str, dict[str, object]] = {
    "succeeded": {"count": "6", "delay": "0.1"},
    "failed": {"count": "4", "fail": True},
}


async def save_job_answers(client: DashboardClient, index: dict[str, str], out: Path) -> None:
    """What Ray answers for each job's details and log, and the name -> job id index."""
    (out / "jobs").mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    for job_id in index.values():
        for folder, path in (
            ("jobs", f"/api/jobs/{job_id}"),
            ("logs", f"/api/jobs/{job_id}/logs"),
        ):
            body = (await client.request("GET", path)).json()
            (out / folder / f"{job_id}.json").write_text(json.dumps(body, indent=1) + "\n")
            print(f"recorded {path}")
    (out / "index.json").write_text(json.dumps(index, indent=1) + "\n")


async def record(url: str, token: str) -> None:
    client = DashboardClient(url, explicit_token(token, "recording head"), timeout=60)
    jobs = JobsApi(client)
    preset = load_file(PRESET)
    index: dict[str, str] = {}
    try:
        for name, values in RUNS.items():
            launched = await launch(client, preset, values)
            await jobs.wait(launched.submission_id, timeout_s=180)
            index[name] = launched.submission_id
            await asyncio.sleep(1.5)  # a second apart: distinct submission ids
        await save_job_answers(client, index, OUT)
    finally:
        await client.aclose()


def main() -> None:
    head = start_embedded_head(EmbeddedHeadSettings(num_cpus=2, object_store_mb=200), print)
    try:
        asyncio.run(record(head.dashboard_url, head.token))
    finally:
        head.stop()


if __name__ == "__main__":
    main()
