"""Port checks: refuse early, before anything exists, when a published port is taken."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable

from sovtui.cluster.compose.units import PortMapping
from sovtui.cluster.errors import PortInUse

_DOCKER_CONFLICT = re.compile(r"(port is already allocated|address already in use)", re.I)


def check_ports_free(ports: Iterable[PortMapping]) -> None:
    for port in ports:
        if port.host_port is None or port.protocol != "tcp":
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # SO_REUSEADDR: ignore TIME_WAIT leftovers, still fail on a real listener.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((port.host_ip, port.host_port))
            except OSError:
                raise PortInUse(_message(port.host_ip, port.host_port)) from None


def _message(host_ip: str, port: int) -> str:
    return (
        f"port {host_ip}:{port} is already in use on this host (another Ray dashboard or "
        "cluster?); stop it, or pick other ports, e.g. SOVTUI_DASHBOARD_PORT=8266 "
        "SOVTUI_CLIENT_PORT=10002"
    )


def port_conflict_message(docker_explanation: str) -> str | None:
    """Docker's own wording for a taken port, turned into our message (a race after the check)."""
    if not _DOCKER_CONFLICT.search(docker_explanation):
        return None
    found = re.search(r"(\d+\.\d+\.\d+\.\d+):(\d+)", docker_explanation)
    if found:
        return _message(found.group(1), int(found.group(2)))
    return f"a published port is already in use: {docker_explanation}"
