"""`sovtui status` against hostile servers ends in time, in bounded memory, with one line (issue 9:
defects 6 and 7). Each run is watched: past its time or 300 MB it is killed, so a sovtui without
the limits fails here instead of hanging or eating the shared machine's memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from tests.support.hostile_http import Behaviour, HostileServer

REQUEST_TIMEOUT_S = 3.0
SLACK_S = 12.0  # interpreter start and imports on a loaded 2-core machine (CI saw load 16)
RSS_LIMIT_KB = 100 * 1024
KILL_AT_KB = 300 * 1024


@dataclass
class Outcome:
    returncode: int | None  # None: killed
    seconds: float
    peak_kb: int
    stderr: str


def _peak_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_status(url: str, limit_s: float) -> Outcome:
    env = dict(os.environ, SOVTUI_REQUEST_TIMEOUT=str(REQUEST_TIMEOUT_S))
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "sovtui", "status", "--address", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _peak_kb(process.pid))
        if peak > KILL_AT_KB or time.monotonic() - start > limit_s:
            process.kill()
            break
        time.sleep(0.02)
    _, stderr = process.communicate(timeout=10)
    seconds = time.monotonic() - start
    killed = process.returncode is not None and process.returncode < 0
    return Outcome(None if killed else process.returncode, seconds, peak, stderr)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("endless", "bad response: answer too large (> 1 MiB) from "),
        ("declared_huge", "bad response: answer too large (> 1 MiB) from "),
        ("drip", f"timed out: URL/api/version did not answer within {REQUEST_TIMEOUT_S:g} s"),
        ("huge_error", "rejected: URL/api/version answered HTTP 500: Traceback"),
    ],
)
def test_status_against_a_hostile_server(kind: str, expected: str) -> None:
    deadline = REQUEST_TIMEOUT_S + SLACK_S
    with HostileServer(Behaviour(kind, max_seconds=deadline + 20)) as server:
        outcome = run_status(server.url, limit_s=deadline + 10)
    print(f"{kind}: exit {outcome.returncode}, {outcome.seconds:.1f} s, {outcome.peak_kb} kB")
    assert outcome.peak_kb <= RSS_LIMIT_KB, f"peak RSS {outcome.peak_kb} kB"
    assert outcome.returncode == 1, outcome.stderr[-500:]
    assert outcome.seconds <= deadline
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.stderr[-500:]
    assert lines[0].startswith("sovtui: " + expected.replace("URL", server.url))
    assert len(lines[0]) < 500
