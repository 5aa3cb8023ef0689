"""An embedded local Ray head: `ray start --head --block` as a child process sovtui owns.

The TUI process never imports ray; it runs Ray's own CLI from the same environment. `--block`
ties the head's processes to that child: SIGTERM to it shuts the whole head down, and Ray's
reaper cleans up if the child dies hard. Nothing else on the machine is touched (no `ray stop`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sovtui.cluster.ports import free_ports
from sovtui.settings.model import EmbeddedHeadSettings
from sovtui.support import locations
from sovtui.support.extras import missing_extra_message

Progress = Callable[[str], None]


class EmbeddedHeadError(Exception):
    """The head could not start; the message says why and where its log is."""


def ray_executable() -> str:
    """Ray's CLI from this interpreter's environment first, then PATH."""
    beside = Path(sys.executable).parent / "ray"
    if beside.exists():
        return str(beside)
    found = shutil.which("ray")
    if found is None:
        raise EmbeddedHeadError(missing_extra_message("ray", "an embedded Ray head"))
    return found


@dataclass
class EmbeddedHead:
    process: subprocess.Popen[bytes]
    dashboard_url: str
    gcs_address: str
    temp_dir: Path
    log_path: Path
    token: str = ""

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return f"EmbeddedHead(pid={self.pid}, dashboard_url={self.dashboard_url!r})"

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 20.0, keep_files: bool = False) -> None:
        """SIGTERM the `ray start --block` child (it stops its processes), then kill its group."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # anything left in its process group
        if self.process.poll() is None:
            self.process.wait(timeout=5)
        _forget(self)
        if not keep_files:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    def record(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "dashboard_url": self.dashboard_url,
            "gcs_address": self.gcs_address,
            "temp_dir": str(self.temp_dir),
            "log": str(self.log_path),
            "token": self.token,
        }


def _record_path(head: EmbeddedHead) -> Path:
    return locations.state_dir() / "embedded" / f"{head.pid}.json"


def _remember(head: EmbeddedHead) -> None:
    """Leave a note for `--keep` users: which pid to stop, where the logs are."""
    path = _record_path(head)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The record holds the head's token: owner-only from the moment it exists.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(head.record(), handle, indent=2)


def _forget(head: EmbeddedHead) -> None:
    _record_path(head).unlink(missing_ok=True)


def head_command(settings: EmbeddedHeadSettings, temp_dir: Path) -> tuple[list[str], str, str]:
    gcs, dashboard, agent_http, agent_grpc, client, runtime_env, metrics = free_ports(7)
    if settings.dashboard_port is not None:
        dashboard = settings.dashboard_port
    command = [
        ray_executable(),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={gcs}",
        "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard}",
        f"--dashboard-agent-listen-port={agent_http}",
        f"--dashboard-agent-grpc-port={agent_grpc}",
        f"--ray-client-server-port={client}",
        f"--runtime-env-agent-port={runtime_env}",
        f"--metrics-export-port={metrics}",
        f"--temp-dir={temp_dir}",
        "--include-dashboard=true",
        "--disable-usage-stats",
    ]
    if settings.num_cpus is not None:
        command.append(f"--num-cpus={settings.num_cpus}")
    if settings.object_store_mb is not None:
        command.append(f"--object-store-memory={settings.object_store_mb * 1024 * 1024}")
    return command, f"http://127.0.0.1:{dashboard}", f"127.0.0.1:{gcs}"


def _wait_ready(head: EmbeddedHead, timeout: float, progress: Progress) -> None:
    deadline = time.monotonic() + timeout
    import httpx  # here, not at import: the TUI's start-up does not need it

    headers = {"Authorization": f"Bearer {head.token}"}
    with httpx.Client(timeout=2.0, headers=headers) as http:
        while time.monotonic() < deadline:
            if head.process.poll() is not None:
                tail = _log_tail(head.log_path)
                raise EmbeddedHeadError(
                    f"the embedded Ray head exited with code {head.process.returncode}; "
                    f"log: {head.log_path}\n{tail}"
                )
            try:
                # The dashboard answers before the head's node is registered: wait for both.
                response = http.get(f"{head.dashboard_url}/nodes", params={"view": "summary"})
                if response.status_code == 200 and response.json()["data"]["summary"]:
                    return
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                pass
            time.sleep(0.25)
    raise EmbeddedHeadError(
        f"the embedded Ray head did not answer within {timeout:g} s; log: {head.log_path}"
    )


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_embedded_head(
    settings: EmbeddedHeadSettings | None = None, progress: Progress | None = None
) -> EmbeddedHead:
    """Start a head on free 127.0.0.1 ports with its own temp dir; return once it answers."""
    settings = settings or EmbeddedHeadSettings()
    report = progress or (lambda _message: None)
    # Short path: Ray's unix sockets live under the temp dir and must stay under ~100 chars.
    temp_dir = Path(tempfile.mkdtemp(prefix="sovtui-ray-", dir="/tmp"))
    command, dashboard_url, gcs_address = head_command(settings, temp_dir)
    log_path = temp_dir / "ray-start.log"
    # Its own token, always: Ray 2.60 otherwise picks token mode from whatever ~/.ray holds.
    token = secrets.token_hex(32)
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    env.pop("RAY_AUTH_TOKEN_PATH", None)
    env.pop("RAY_ADDRESS", None)  # would make `ray start --head` think it joins a cluster
    # Job entrypoints say `python`: on this head that must be the interpreter that has Ray.
    here = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in (here, env.get("PATH")) if p)
    report(f"starting an embedded Ray head (dashboard {dashboard_url})")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C in the TUI must not reach Ray; we stop it ourselves
        )
    head = EmbeddedHead(process, dashboard_url, gcs_address, temp_dir, log_path, token)
    _remember(head)
    try:
        _wait_ready(head, settings.start_timeout, report)
    except BaseException:
        head.stop(timeout=10, keep_files=True)  # the log explains the failure
        raise
    report(f"embedded Ray head ready at {dashboard_url}")
    return head
