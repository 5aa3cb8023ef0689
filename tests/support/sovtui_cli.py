"""Run the sovtui command line in a child process, as a user's shell would."""

from __future__ import annotations

import subprocess
import sys


def sovtui(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m sovtui ARGS` with exactly `env`, no stdin, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "sovtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env=env,
    )
