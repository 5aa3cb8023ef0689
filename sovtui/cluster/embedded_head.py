"""An embedded local Ray head: `ray start --head --block` as a child process sovtui owns.

The TUI process never imports ray; it runs Ray's own CLI from the same environment, under a
small guard process (head_guard) that stops the head when sovtui dies, SIGKILL included.
`--block` ties the head's processes to `ray start`: SIGTERM to it shuts the whole head down.
Nothing else on the machine is touched (no `ray stop`). Everything of the head (temp dir, logs,
sockets, token file) lives in a 0700 directory (private_dir) and every port is on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sovtui.cluster import head_guard, head_records
from sovtui.cluster.ports import free_ports
from sovtui.cluster.private_dir import PrivateDirError, new_head_dir, write_token
from sovtui.settings.model import EmbeddedHeadSettings
from sovtui.support.extras import missing_extra_message

Progress = Callable[[str], None]
KEEP = head_guard.KEEP
LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


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
    """A head this process started. `process` is its guard (see head_guard): SIGTERM to it
    stops the head, and the head also stops when this process dies, unless `keep()` was called."""

    process: subprocess.Popen[bytes]
    dashboard_url: str
    gcs_address: str
    temp_dir: Path
    log_path: Path
    token: str = ""
    token_path: Path | None = None
    lifeline: int | None = None  # write end of the guard's pipe; closing it stops the head
    recorded: bool = False

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return f"EmbeddedHead(pid={self.pid}, dashboard_url={self.dashboard_url!r})"

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def keep(self) -> bool:
        """Leave the head running after this process exits (`--keep`); False when it could not
        be recorded as kept (a later sovtui will then not find it)."""
        if self.lifeline is not None:
            with contextlib.suppress(OSError):
                os.write(self.lifeline, KEEP)
            self._cut_lifeline()
        try:
            head_records.save(dataclasses.replace(self.record(), kept=True))
        except OSError:
            self.recorded = False  # an earlier note, if any, says "not kept": not reusable
            return False
        self.recorded = True
        return True

    def kept_advice(self) -> str:
        """What to tell the user who kept the head: how to reach it again and stop it."""
        again = (
            "`sovtui` attaches to it again, `sovtui status` shows it"
            if self.recorded
            else "it could not be recorded, so `sovtui` will not find it"
        )
        return (
            f"embedded Ray head left running at {self.dashboard_url} (pid {self.pid}); "
            f"{again}; stop it with: kill {self.pid}"
        )

    def _cut_lifeline(self) -> None:
        if self.lifeline is not None:
            with contextlib.suppress(OSError):
                os.close(self.lifeline)
            self.lifeline = None

    def stop(self, timeout: float = 20.0, keep_files: bool = False) -> None:
        """SIGTERM the guard (it stops `ray start --block`, which stops its processes), then
        kill whatever is left in the head's process group."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout + 5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # anything left in its process group
        if self.process.poll() is None:
            self.process.wait(timeout=5)
        self._cut_lifeline()
        head_records.forget(self.pid)
        if not keep_files:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    def record(self) -> head_records.HeadRecord:
        return head_records.HeadRecord(
            pid=self.pid,
            dashboard_url=self.dashboard_url,
            gcs_address=self.gcs_address,
            temp_dir=str(self.temp_dir),
            log=str(self.log_path),
            token_path=str(self.token_path or ""),
        )


def _remember(head: EmbeddedHead, report: Progress) -> None:
    """A note for later sovtui runs (reuse after `--keep`, reaping). Failing to write it costs
    only that: the head still stops with this process."""
    try:
        head_records.save(head.record())
        head.recorded = True
    except OSError as error:
        report(
            f"warning: cannot record the embedded head in {head_records.records_dir()} "
            f"({error.strerror or error}); a later sovtui will not find it"
        )


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


def _head_env(token_path: Path) -> dict[str, str]:
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    # Its own token, always: Ray 2.60 otherwise picks token mode from whatever ~/.ray holds.
    # By path, not value: the head's environment is every job's, and jobs print theirs.
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token_path))
    env.pop("RAY_AUTH_TOKEN", None)
    env.pop("RAY_ADDRESS", None)  # would make `ray start --head` think it joins a cluster
    # Ray replaces --node-ip-address=127.0.0.1 by the host's LAN address and then listens on
    # every interface; with "no multi-node clusters" it keeps 127.0.0.1 and binds GCS, raylet,
    # agents, client server and metrics export to loopback. An embedded head is one node.
    env[LOOPBACK_SWITCH] = "0"
    # Ray frees objects in batches, once a second by default: a benchmark's consumed inputs then
    # linger beside its outputs (the sort's store peak, and up to a second's wait per run).
    env.setdefault("RAY_free_objects_period_milliseconds", "100")
    # Job entrypoints say `python`: on this head that must be the interpreter that has Ray.
    here = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in (here, env.get("PATH")) if p)
    return env


def _spawn_guarded(
    command: list[str], env: dict[str, str], log_path: Path
) -> tuple[subprocess.Popen[bytes], int]:
    """Start `command` under head_guard; returns the guard and our end of its lifeline."""
    watch, lifeline = os.pipe()
    guard = [sys.executable, "-I", head_guard.__file__, str(watch), "--", *command]
    try:
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                guard,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                pass_fds=(watch,),
                start_new_session=True,  # Ctrl-C and SIGHUP of the TUI must not reach Ray
            )
    except BaseException:
        os.close(lifeline)
        raise
    finally:
        os.close(watch)
    return process, lifeline


def start_embedded_head(
    settings: EmbeddedHeadSettings | None = None, progress: Progress | None = None
) -> EmbeddedHead:
    """Start a head on free 127.0.0.1 ports in a private temp dir; return once it answers.

    The head stops when this process ends, however it ends, unless `keep()` is called.
    """
    settings = settings or EmbeddedHeadSettings()
    report = progress or (lambda _message: None)
    head_records.live_records()  # reaps notes (and dirs) of heads that died meanwhile
    try:
        temp_dir = new_head_dir()
    except (PrivateDirError, OSError) as error:
        raise EmbeddedHeadError(f"no private directory for the embedded head: {error}") from None
    command, dashboard_url, gcs_address = head_command(settings, temp_dir)
    log_path = temp_dir / "ray-start.log"
    token = secrets.token_hex(32)
    token_path = write_token(temp_dir, token)
    report(f"starting an embedded Ray head (dashboard {dashboard_url})")
    try:
        process, lifeline = _spawn_guarded(command, _head_env(token_path), log_path)
    except BaseException:
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise
    head = EmbeddedHead(
        process, dashboard_url, gcs_address, temp_dir, log_path, token, token_path, lifeline
    )
    try:
        _remember(head, report)
        _wait_ready(head, settings.start_timeout, report)
    except EmbeddedHeadError:
        head.stop(timeout=10, keep_files=True)  # the log explains the failure
        raise
    except BaseException:  # interrupted (Ctrl-C, SIGHUP): nothing worth keeping
        head.stop(timeout=10)
        raise
    report(f"embedded Ray head ready at {dashboard_url}")
    return head
