"""A real Ray head for integration tests, started once per session as a child process.

It is stopped with SIGTERM to that process and, if it lingers, SIGKILL to its process group (it
runs in its own session) -- never `ray stop`, which would kill every Ray on the machine. Every
port is chosen free, because other Ray heads (an embedded one, a colleague's) may share the host.
Outside CI a head that cannot start skips the tests; under CI=true it fails them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class RayHead:
    address: str  # dashboard URL, e.g. http://127.0.0.1:8265
    token: str = field(repr=False)  # this head's own auth token; never printed
    temp_dir: Path
    log: Path
    pid: int


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Ray head unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"Ray head unavailable: {reason}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT_S)
    # Whatever is left in the head's own process group (raylet, GCS, workers) is ours to end.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayHead]:
    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.exists():
        _unavailable(f"no `ray` executable next to {sys.executable}")
    # Short path: Ray puts unix sockets under the temp dir and they are limited to ~107 bytes.
    temp_dir = Path(tmp_path_factory.mktemp("ray"))
    log = temp_dir / "ray-start.log"
    dashboard_port = _free_port()
    ports = {
        "--dashboard-port": dashboard_port,
        "--ray-client-server-port": _free_port(),
        "--dashboard-agent-listen-port": _free_port(),
        "--dashboard-agent-grpc-port": _free_port(),
        "--runtime-env-agent-port": _free_port(),
        "--metrics-export-port": _free_port(),
        "--node-manager-port": _free_port(),
        "--object-manager-port": _free_port(),
    }
    env = dict(os.environ)
    # Job entrypoints say `python`: make that the interpreter that has Ray installed.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    for name in ("RAY_ADDRESS", "RAY_API_SERVER_ADDRESS", "RAY_AUTH_TOKEN_PATH"):
        env.pop(name, None)
    # Its own token, as every cluster sovtui creates gets; also keeps it independent of whatever
    # ~/.ray/auth_token holds (Ray turns token auth on by itself when that file exists).
    token = secrets.token_hex(32)
    env["RAY_AUTH_MODE"] = "token"
    env["RAY_AUTH_TOKEN"] = token
    command = [
        str(ray_bin),
        "start",
        "--head",
        "--block",
        "--port=0",
        "--node-ip-address=127.0.0.1",
        "--dashboard-host=127.0.0.1",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
        "--num-cpus=2",
        "--include-dashboard=true",
        *(f"{flag}={port}" for flag, port in ports.items()),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    address = f"http://127.0.0.1:{dashboard_port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                _unavailable(f"`ray start` exited with {process.returncode}:\n{tail}")
            try:
                answer = httpx.get(f"{address}/api/gcs_healthz", timeout=2)
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                _unavailable(f"no answer from {address}/api/gcs_healthz in {START_TIMEOUT_S:g} s")
            time.sleep(0.5)
        yield RayHead(address=address, token=token, temp_dir=temp_dir, log=log, pid=process.pid)
    finally:
        _stop(process)
