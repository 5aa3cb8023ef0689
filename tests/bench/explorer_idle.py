"""The explorer idle on the Actors view: what it costs the client, and what it adds on a real
head. Run: python -m tests.bench.explorer_idle [--seconds 30]

A one-node head (tests/support/explorer_driver.py gives it actors, tasks, placement groups)
is measured over the same number of seconds three times: alone, with the real TUI in a pseudo-
terminal polling `:actors` every 2 s, and alone again. The head's cost is the CPU time of
every process under `ray start` (GCS, raylet, dashboard and its modules, agents); the
explorer's share is the middle window less the mean of the two alone. Targets (issue 12):
client <= 1% of a core, added on the head <= 10% of a core.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from sovtui.cluster.embedded_head import EmbeddedHead, ray_executable, start_embedded_head
from sovtui.settings.model import EmbeddedHeadSettings
from tests.bench.terminal_frame import running_in_terminal

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), TEXTUAL="", TERM="xterm-256color")
DRIVER = ROOT / "tests" / "support" / "explorer_driver.py"
WARM_UP_S = 10.0  # start-up, the first polls, the lazy imports


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of `root` and every process under it, as of now."""
    total = 0.0
    try:
        parent = psutil.Process(root)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def window(head: EmbeddedHead, seconds: float, client: int | None = None) -> tuple[float, float]:
    """(head share, client share) of a core over `seconds`."""
    head_before = tree_cpu(head.pid)
    client_before = _cpu(client)
    started = time.perf_counter()
    time.sleep(seconds)
    wall = time.perf_counter() - started
    return (tree_cpu(head.pid) - head_before) / wall, (_cpu(client) - client_before) / wall


def _cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def start_driver(head: EmbeddedHead) -> None:
    env = dict(os.environ, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=head.token)
    submission = f"explorer-idle-{os.getpid()}"
    subprocess.run(
        [
            *(ray_executable(), "job", "submit", "--address", head.dashboard_url),
            *("--submission-id", submission, "--no-wait", "--", sys.executable, str(DRIVER)),
        ],
        capture_output=True,
        timeout=120,
        env=env,
        check=True,
    )
    headers = {"Authorization": f"Bearer {head.token}"}
    with httpx.Client(base_url=head.dashboard_url, headers=headers, timeout=30) as http:
        deadline = time.monotonic() + 180
        while "EXPLORER READY" not in http.get(f"/api/jobs/{submission}/logs").json()["logs"]:
            if time.monotonic() > deadline:
                raise TimeoutError("the explorer driver did not get ready")
            time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    head = start_embedded_head(EmbeddedHeadSettings(num_cpus=2, object_store_mb=100))
    try:
        start_driver(head)
        time.sleep(WARM_UP_S)  # the job's own start-up settles
        alone_before, _ = window(head, args.seconds)
        argv = [sys.executable, "-m", "tests.bench.explorer_idle_child", head.dashboard_url]
        with tempfile.TemporaryDirectory(prefix="sovtui-idle-") as scratch:
            mark = Path(scratch) / "view"
            with running_in_terminal([*argv, head.token, str(mark)], ENV) as pid:
                time.sleep(WARM_UP_S)
                watched, client = window(head, args.seconds, pid)
            shown = mark.read_text() if mark.exists() else "(none)"
        if shown != "actors":
            raise SystemExit(f"the TUI did not show the Actors view (it showed {shown!r})")
        alone_after, _ = window(head, args.seconds)
    finally:
        head.stop()
    alone = (alone_before + alone_after) / 2
    added = watched - alone
    print(f"{'explorer idle on :actors, 2 s interval':<44} {'measured':>22}  target")
    print(
        f"{'client (the TUI process)':<44} {client * 100:>15.2f}% core  <= 1%   "
        f"{'ok' if client <= 0.01 else 'MISSED'}"
    )
    print(
        f"{'added on the head':<44} {added * 100:>15.2f}% core  <= 10%  "
        f"{'ok' if added <= 0.10 else 'MISSED'}   (head alone {alone_before * 100:.1f}% / "
        f"{alone_after * 100:.1f}%, with the explorer {watched * 100:.1f}%)"
    )


if __name__ == "__main__":
    main()
