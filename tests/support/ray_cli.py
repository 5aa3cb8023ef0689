"""Jobs submitted with Ray's own CLI (`ray job submit`), not sovtui's client."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from sovtui.cluster.embedded_head import EmbeddedHead, ray_executable


def ray_cli_submit(
    head: EmbeddedHead, code: str, submission_id: str | None = None
) -> tuple[subprocess.CompletedProcess[str], str | None]:
    """Run `python -c CODE` as a job and wait for it; its result and the submission id used.

    A fresh head's job agent comes up a few seconds after its dashboard: "No available agent"
    is retried (with `-N` after a given submission id, which Ray will not take twice)."""
    env = dict(os.environ, RAY_AUTH_TOKEN=head.token, RAY_AUTH_MODE="token")
    used = submission_id
    for attempt in range(10):
        if submission_id is not None and attempt:
            used = f"{submission_id}-{attempt}"
        named = [] if used is None else ["--submission-id", used]
        result = subprocess.run(
            [
                ray_executable(),
                "job",
                "submit",
                "--address",
                head.dashboard_url,
                *named,
                "--",
                sys.executable,
                "-c",
                code,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if "No available agent" not in result.stdout + result.stderr:
            break
        time.sleep(2)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result, used


def ray_job_submit(head: EmbeddedHead, submission_id: str, code: str) -> str:
    """Run `python -c CODE` as a finished job; the submission id it got."""
    _, used = ray_cli_submit(head, code, submission_id)
    assert used is not None
    return used
