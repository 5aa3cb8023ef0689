"""Record real Ray dashboard answers for the unit and snapshot tests.

Run:  .venv/bin/python tests/recording/record_ray_responses.py
It starts sovtui's embedded head (a real `ray start --head`), submits one job that succeeds and
one that fails with Ray's own `ray job submit`, then saves what each endpoint answers to
tests/data/recorded/ray-<version>/. A second head with autoscaler v2 records the
`clusterStatus: null` shape. Nothing here is invented by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout

from sovtui.cluster.embedded_head import ray_executable, start_embedded_head
from sovtui.settings.model import EmbeddedHeadSettings

ENDPOINTS = {
    "version": "/api/version",
    "cluster_status": "/api/cluster_status",
    "nodes_summary": "/nodes?view=summary",
    "v0_nodes": "/api/v0/nodes",
    "jobs": "/api/jobs/",
}


def submit(address: str, token: str, submission_id: str, code: str) -> None:
    env = dict(os.environ, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    subprocess.run(
        [
            ray_executable(),
            "job",
            "submit",
            "--address",
            address,
            "--submission-id",
            submission_id,
            "--",
            sys.executable,
            "-c",
            code,
        ],
        check=False,
        capture_output=True,
        timeout=120,
        env=env,
    )


def record(url: str, token: str, folder: Path, with_jobs: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if with_jobs:
        submit(url, token, "recorded-ok", "import time; print('hello from ray'); time.sleep(1)")
        submit(url, token, "recorded-fail", "import sys; print('about to fail'); sys.exit(3)")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, timeout=10, headers=headers) as http:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # a fresh head reports its node a little later
            if http.get("/nodes?view=summary").json()["data"]["summary"]:
                break
            time.sleep(1)
        time.sleep(3)  # let the node summary's CPU and memory numbers settle
        for name, path in ENDPOINTS.items():
            body = http.get(path).json()
            (folder / f"{name}.json").write_text(json.dumps(body, indent=1) + "\n")
            print(f"recorded {path} -> {folder / (name + '.json')}")


def main() -> None:
    out = Path(__file__).resolve().parents[1] / "data" / "recorded"
    settings = EmbeddedHeadSettings(num_cpus=2, object_store_mb=200)
    head = start_embedded_head(settings, progress=print)
    try:
        headers = {"Authorization": f"Bearer {head.token}"}
        version = httpx.get(f"{head.dashboard_url}/api/version", headers=headers).json()[
            "ray_version"
        ]
        record(head.dashboard_url, head.token, out / f"ray-{version}", with_jobs=True)
    finally:
        head.stop()
    os.environ["RAY_enable_autoscaler_v2"] = "1"  # noqa: SIM112 - Ray spells it so
    head = start_embedded_head(settings, progress=print)
    try:
        record(
            head.dashboard_url, head.token, out / f"ray-{version}-autoscaler-v2", with_jobs=False
        )
    finally:
        head.stop()
        del os.environ["RAY_enable_autoscaler_v2"]  # noqa: SIM112


if __name__ == "__main__":
    main()
