"""An SSH tunnel sovtui owns: the system `ssh` as a ControlMaster child, watched and healed.

`ssh -N -M -S SOCK -L 127.0.0.1:LOCAL:HOST:PORT ... DEST` runs as our child (no `-f`: its pid is
ours to stop), with BatchMode (never a password prompt), ExitOnForwardFailure (a busy local port
ends ssh instead of leaving it running with no forward) and keep-alives. A supervisor thread:

- starts ssh and waits until its control socket exists (ssh binds the -L listeners before it
  listens for multiplex clients), then asks for `/api/gcs_healthz` by HTTP through the forward:
  a TCP connect to 127.0.0.1:LOCAL succeeds even when nothing listens at the far end, an HTTP
  answer does not;
- watches the ssh process (its exit is seen at once) and checks by HTTP every `health_interval`;
- when ssh ends, says `down` with ssh's reason, and starts it again after a backoff (0.2 s, 0.4 s,
  ... up to `max_backoff`) on the same local port, so the dashboard client's URL stays valid; the
  backoff starts afresh only after the tunnel held for STABLE_S (a server that drops every
  connection at once is not hammered).

Every spawn happens on the supervisor thread: on Linux ssh runs under `setpriv --pdeathsig TERM`,
which stops it when that thread ends, however sovtui ends (SIGKILL included). `close()` stops
ssh by pid. The state is published to listeners (called on the supervisor thread) and, for the
poller, as a DashboardError through `path_check` (see DashboardClient.path_check).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sovtui.cluster.ports import free_port
from sovtui.cluster.private_dir import PrivateDirError, private_base
from sovtui.cluster.ssh.diagnose import busy_port, explain, last_lines
from sovtui.cluster.ssh.via import (
    Forward,
    Via,
    control_command,
    manual_command,
    master_command,
    parse_via,
    remote_endpoint,
)
from sovtui.ray_api.errors import DashboardError, DashboardUnreachable
from sovtui.settings.model import SshSettings

STARTING = "starting"
UP = "up"
DOWN = "down"
CLOSED = "closed"

HEALTH_PATH = "/api/gcs_healthz"  # answers without a token
FIRST_RETRY_S = 0.2
STABLE_S = 10.0  # up this long, a tunnel that drops starts its backoff afresh
STOP_TIMEOUT_S = 3.0


class TunnelError(DashboardUnreachable):
    """The tunnel is not there (it did not come up, or it is down and reconnecting)."""

    state = "tunnel down"


@dataclass(frozen=True)
class TunnelState:
    state: str  # starting | up | down | closed
    message: str = ""  # why it is down; or, while up, that nothing answers at the far end
    retry_at: float | None = None  # monotonic time of the next attempt while down
    reconnects: int = 0  # times it came back after being down
    changed_at: float = 0.0  # monotonic

    @property
    def up(self) -> bool:
        return self.state == UP


Listener = Callable[[TunnelState], None]


def http_probe(port: int, path: str = HEALTH_PATH, timeout: float = 2.0) -> str:
    """One HTTP request to 127.0.0.1:port: `answered` (any HTTP status), `refused` (nothing
    listens here), `closed` (accepted, then closed without an answer: the far end of a tunnel is
    not there), `silent` (no answer in time) or `garbled` (not HTTP)."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError:
        return "refused"
    except OSError:
        return "silent"
    with sock:
        request = f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: sovtui\r\n\r\n"
        try:
            sock.sendall(request.encode("ascii"))
            first = sock.recv(16)
        except TimeoutError:
            return "silent"
        except OSError:
            return "closed"
    if not first:
        return "closed"
    return "answered" if first.startswith(b"HTTP/") else "garbled"


@functools.lru_cache(maxsize=1)
def _death_signal_prefix() -> tuple[str, ...]:
    """`setpriv --pdeathsig TERM --` where Linux's util-linux has it; else nothing (macOS)."""
    if not sys.platform.startswith("linux"):
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return ()
    try:
        helped = subprocess.run(
            [setpriv, "--help"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    return (setpriv, "--pdeathsig", "TERM", "--") if "--pdeathsig" in helped.stdout else ()


class SshTunnel:
    """Forwards 127.0.0.1:local_port to remote_host:remote_port as `via` sees it."""

    def __init__(
        self,
        via: Via,
        remote_host: str,
        remote_port: int,
        settings: SshSettings | None = None,
        *,
        local_port: int | None = None,
        health_path: str = HEALTH_PATH,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.via = via
        self.settings = settings or SshSettings()
        self.health_path = health_path
        self._fixed_port = local_port is not None
        self.forwards = [Forward(local_port or 0, remote_host, remote_port)]
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._state = TunnelState(STARTING, changed_at=monotonic())
        self._listeners: list[Listener] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._closing = threading.Event()
        self._opened = threading.Event()
        self._first_problem: str | None = None
        self._thread: threading.Thread | None = None
        self._dir: Path | None = None

    # -- what others read ---------------------------------------------------------------------

    @property
    def local_port(self) -> int:
        return self.forwards[0].local_port

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.local_port}"

    @property
    def remote(self) -> str:
        forward = self.forwards[0]
        return f"{forward.remote_host}:{forward.remote_port}"

    @property
    def state(self) -> TunnelState:
        return self._state

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def control_path(self) -> str:
        assert self._dir is not None, "open() first"
        return str(self._dir / "ctl")

    def manual_command(self) -> str:
        """The `ssh -L` line that makes the same tunnel by hand."""
        return manual_command(self.settings, self.via, self.forwards)

    def describe(self) -> str:
        return f"{self.local_url} -> {self.remote} via {self.via}"

    def add_listener(self, listener: Listener) -> None:
        """Called with every new state, on the supervisor thread (a TUI must hop threads)."""
        self._listeners.append(listener)

    def problem(self) -> TunnelError | None:
        """The error a request through the tunnel should report now, or None while it is up."""
        state = self._state
        if state.up:
            return None
        if state.state == CLOSED:
            return TunnelError(f"the ssh tunnel via {self.via} is closed")
        if state.state == STARTING:
            return TunnelError(f"the ssh tunnel via {self.via} is starting")
        wait = ""
        if state.retry_at is not None:
            left = max(0.0, state.retry_at - self._monotonic())
            wait = f" in {left:.1f} s" if left < 10 else f" in {left:.0f} s"
        return TunnelError(
            f"ssh tunnel via {self.via} down, reconnecting{wait}: {state.message}".rstrip(": ")
        )

    def path_check(self, address: str, failure: str | None) -> DashboardError | None:
        """DashboardClient's hook: before a request (`failure` None) and after one failed to
        connect, what to report instead of `cannot reach 127.0.0.1:PORT`."""
        if not any(address.startswith(f"http://127.0.0.1:{f.local_port}") for f in self.forwards):
            return None
        down = self.problem()
        if down is not None or failure is None:
            return down
        return DashboardUnreachable(
            f"nothing answers at {self.remote} as seen from {self.via} (the ssh tunnel is up; "
            f"{failure})"
        )

    # -- life cycle ---------------------------------------------------------------------------

    def open(self, timeout: float | None = None) -> None:
        """Start ssh and wait until the tunnel carries HTTP; TunnelError with one line if not.
        From then on it heals by itself until close()."""
        if self._thread is not None:
            return
        try:
            self._dir = Path(tempfile.mkdtemp(prefix="t", dir=private_base()))
        except (PrivateDirError, OSError) as error:
            raise TunnelError(f"cannot make the tunnel's private directory: {error}") from None
        if not self._fixed_port:
            self.forwards[0] = replace(self.forwards[0], local_port=free_port())
        self._thread = threading.Thread(target=self._supervise, name="ssh-tunnel", daemon=True)
        self._thread.start()
        atexit.register(self.close)
        limit = (timeout or self.settings.connect_timeout) + 5.0
        if not self._opened.wait(limit):
            self.close()
            raise TunnelError(f"ssh to {self.via} did not open the tunnel within {limit:g} s")
        if self._first_problem is not None:
            problem = self._first_problem
            self.close()
            raise TunnelError(problem)

    def close(self) -> None:
        """Stop ssh (by pid) and the supervisor; safe to call twice."""
        self._closing.set()
        self._stop_process()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_TIMEOUT_S + 1.0)
        self._stop_process()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)
        if self._state.state != CLOSED:
            self._publish(TunnelState(CLOSED, changed_at=self._monotonic()))

    def add_forward(self, remote_host: str, remote_port: int, local_port: int = 0) -> int:
        """Another forward through the running master (`ssh -O forward`, milliseconds); kept
        across reconnects. Returns the local port."""
        forward = Forward(local_port or free_port(), remote_host, remote_port)
        command = control_command(
            self.settings, self.via, self.control_path, "forward", "-L", forward.spec
        )
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=self.settings.connect_timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise TunnelError(explain(done.stderr, self.via, done.returncode))
        self.forwards.append(forward)
        return forward.local_port

    def check(self) -> bool:
        """`ssh -O check`: the master answers on its control socket."""
        if self._dir is None:
            return False
        command = control_command(self.settings, self.via, self.control_path, "check")
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=5, check=False, stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return done.returncode == 0

    # -- the supervisor thread ----------------------------------------------------------------

    def _publish(self, state: TunnelState) -> None:
        with self._lock:
            self._state = state
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):  # a listener's bug must not stop the tunnel
                listener(state)

    def _supervise(self) -> None:
        failures = 0
        reconnects = 0
        was_up = False
        while not self._closing.is_set():
            problem = self._start()
            if problem is None:
                if was_up:
                    reconnects += 1
                was_up = True
                up_at = self._monotonic()
                self._publish(TunnelState(UP, self._far_end(), None, reconnects, up_at))
                self._opened.set()
                problem = self._watch()
                if problem is None:  # closing
                    break
                if self._monotonic() - up_at >= STABLE_S:
                    failures = 0  # it held: the next retry comes quickly again
            elif not self._opened.is_set():
                self._first_problem = problem  # open() raises it; nothing keeps running
                self._opened.set()
                break
            if self._closing.is_set():
                break
            failures += 1
            delay = min(self.settings.max_backoff, FIRST_RETRY_S * 2 ** (failures - 1))
            now = self._monotonic()
            self._publish(TunnelState(DOWN, problem, now + delay, reconnects, changed_at=now))
            if self._closing.wait(delay):
                break
        self._stop_process()

    def _log_path(self) -> Path:
        assert self._dir is not None
        return self._dir / "ssh.log"

    def _stderr(self) -> str:
        try:
            return self._log_path().read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _spawn(self) -> subprocess.Popen[bytes]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.control_path)  # a stale socket would turn multiplexing off
        command = [
            *_death_signal_prefix(),
            *master_command(self.settings, self.via, self.control_path, self.forwards),
        ]
        with open(self._log_path(), "wb") as log:
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,  # no terminal: Ctrl-C is sovtui's, prompts impossible
            )

    def _start(self) -> str | None:
        """Spawn ssh and wait until it forwards; None when up, else why not (one line)."""
        for _attempt in range(3):
            try:
                self._process = self._spawn()
            except OSError as error:
                return f"cannot run {self.settings.command!r}: {error.strerror or error}"
            problem = self._wait_ready()
            if problem is None:
                return None
            port = busy_port(self._stderr())
            if self._fixed_port or port is None or self._opened.is_set():
                return problem
            # A free port we picked was taken meanwhile: pick another (before the first open
            # only; later the client's URL names this port).
            self.forwards[0] = replace(self.forwards[0], local_port=free_port())
        return problem

    def _wait_ready(self) -> str | None:
        process = self._process
        assert process is not None
        deadline = self._monotonic() + self.settings.connect_timeout + 2.0
        control = Path(self.control_path)
        pause = 0.005
        while not self._closing.is_set():
            code = process.poll()
            if code is not None:
                return explain(self._stderr(), self.via, code)
            if control.exists():
                return None
            if self._monotonic() > deadline:
                self._stop_process()
                said = last_lines(self._stderr())
                return (
                    f"ssh to {self.via} did not open the tunnel within "
                    f"{self.settings.connect_timeout:g} s" + (f": {said}" if said else "")
                )
            self._closing.wait(pause)  # ssh is authenticating: ~0.2 s on a LAN
            pause = min(0.05, pause * 2)
        return "closing"

    def _far_end(self) -> str:
        """'' when the dashboard answers through the forward; else what is wrong there."""
        result = http_probe(self.local_port, self.health_path, timeout=2.0)
        if result == "answered":
            return ""
        if result == "refused":
            return "the local end of the tunnel does not listen"
        return f"no HTTP answer from {self.remote} as seen from {self.via} ({result})"

    def _watch(self) -> str | None:
        """Until ssh ends (-> why) or close() (-> None), checking by HTTP now and then."""
        process = self._process
        assert process is not None
        while True:
            try:
                code = process.wait(timeout=self.settings.health_interval)
            except subprocess.TimeoutExpired:
                if self._closing.is_set():
                    return None
                note = self._far_end()
                if note == "the local end of the tunnel does not listen":
                    self._stop_process()
                    return f"ssh to {self.via} stopped forwarding 127.0.0.1:{self.local_port}"
                if note != self._state.message:
                    self._publish(replace(self._state, message=note))
                continue
            if self._closing.is_set():
                return None
            return explain(self._stderr(), self.via, code)

    def _stop_process(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()


def tunnel_to(
    address: str,
    via_text: str,
    settings: SshSettings,
    local_port: int | None = None,
    *,
    timeout: float | None = None,
) -> tuple[SshTunnel, str]:
    """Open a tunnel to the dashboard at `address` (as `via` sees it): (tunnel, the URL to use
    here). ViaError for a bad --via or address; TunnelError (one line) when it does not open."""
    via = parse_via(via_text)
    host, port, prefix = remote_endpoint(address)
    if timeout is not None:
        settings = replace(settings, connect_timeout=min(settings.connect_timeout, timeout))
    tunnel = SshTunnel(
        via, host, port, settings, local_port=local_port, health_path=prefix + HEALTH_PATH
    )
    tunnel.open()
    return tunnel, tunnel.local_url + prefix
