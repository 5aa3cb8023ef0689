"""`--via [user@]host[:port]` and the ssh command lines built from it (no process started here).

The host may be an alias from the user's ~/.ssh/config: ssh resolves it, with its ProxyJump,
IdentityFile and agent. Nothing here may be read by ssh as an option (a leading '-', spaces).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from urllib.parse import urlsplit

from sovtui.cluster.errors import BadTarget
from sovtui.settings.model import VIA_PATTERN, SshSettings

_VIA = re.compile(VIA_PATTERN)

# Options every tunnel runs with: never a password prompt, a busy local port is an exit (not a
# running ssh with no forward), a dead network noticed within ~45 s.
TUNNEL_OPTIONS: tuple[str, ...] = (
    "-o",
    "BatchMode=yes",
    "-o",
    "ExitOnForwardFailure=yes",
    "-o",
    "ServerAliveInterval=15",
    "-o",
    "ServerAliveCountMax=3",
)


class ViaError(BadTarget):
    """A `--via` value or a remote address sovtui cannot tunnel to (bad input)."""


@dataclass(frozen=True)
class Via:
    host: str
    user: str | None = None
    port: int | None = None

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    def __str__(self) -> str:
        return self.destination + (f":{self.port}" if self.port else "")


def parse_via(text: str) -> Via:
    """`[user@]host[:port]` -> Via; ViaError with one line otherwise."""
    value = text.strip()
    if not _VIA.match(value):
        raise ViaError(
            f"--via {text!r}: expected [user@]host[:port] (a host name or ~/.ssh/config alias; "
            "no spaces, not starting with '-')"
        )
    user, _, rest = value.rpartition("@")
    host, _, port_text = rest.partition(":")
    port = int(port_text) if port_text else None
    if port is not None and not 1 <= port <= 65535:
        raise ViaError(f"--via {text!r}: port {port} is not between 1 and 65535")
    return Via(host=host, user=user or None, port=port)


@dataclass(frozen=True)
class Forward:
    """127.0.0.1:local_port here -> remote_host:remote_port as the via host sees it."""

    local_port: int
    remote_host: str
    remote_port: int

    @property
    def spec(self) -> str:
        host = f"[{self.remote_host}]" if ":" in self.remote_host else self.remote_host
        return f"127.0.0.1:{self.local_port}:{host}:{self.remote_port}"


def remote_endpoint(address: str) -> tuple[str, int, str]:
    """(host, port, path prefix) of a dashboard URL as seen from the via host."""
    parts = urlsplit(address if "://" in address else f"http://{address}")
    if parts.scheme != "http":
        raise ViaError(
            f"{address}: only http:// dashboards can be tunnelled (the tunnel carries plain "
            "TCP; sovtui talks HTTP to its local end)"
        )
    if not parts.hostname:
        raise ViaError(f"{address}: no host in the dashboard address")
    try:
        port = parts.port or 80
    except ValueError:
        raise ViaError(f"{address}: the port is not a number between 1 and 65535") from None
    return parts.hostname, port, parts.path.rstrip("/")


def base_args(settings: SshSettings, via: Via) -> list[str]:
    """ssh's program, the config file and the port: what every invocation shares."""
    args = [settings.command]
    if settings.config_file:
        args += ["-F", settings.config_file]
    if via.port:
        args += ["-p", str(via.port)]
    return args


def connect_timeout_args(settings: SshSettings) -> list[str]:
    return ["-o", f"ConnectTimeout={max(1, round(settings.connect_timeout))}"]


def master_command(
    settings: SshSettings, via: Via, control_path: str, forwards: list[Forward]
) -> list[str]:
    """The ssh child sovtui keeps: a ControlMaster (no -f: its pid stays ours) with forwards."""
    command = [
        *base_args(settings, via),
        "-N",
        "-M",
        "-S",
        control_path,
        "-o",
        "ControlPersist=no",
        *TUNNEL_OPTIONS,
        *connect_timeout_args(settings),
    ]
    for forward in forwards:
        command += ["-L", forward.spec]
    return [*command, "--", via.destination]


def control_command(
    settings: SshSettings, via: Via, control_path: str, operation: str, *extra: str
) -> list[str]:
    """`ssh -S SOCK -O check|forward|cancel|exit` to the running master."""
    return [
        *base_args(settings, via),
        "-S",
        control_path,
        "-O",
        operation,
        *extra,
        "--",
        via.destination,
    ]


def manual_command(settings: SshSettings, via: Via, forwards: list[Forward]) -> str:
    """The `ssh -L` line a user can run to make the same tunnel without sovtui."""
    command = [*base_args(settings, via), "-N", "-o", "ExitOnForwardFailure=yes"]
    command += ["-o", "ServerAliveInterval=15"]
    for forward in forwards:
        command += ["-L", forward.spec]
    return shlex.join([*command, via.destination])
