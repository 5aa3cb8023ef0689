"""Compose size and port strings: '512m', '2gb', '127.0.0.1:8265:8265/tcp'."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)b?\s*$", re.IGNORECASE)
_FACTORS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(value: str | int) -> int:
    """Bytes from a Compose size ('256m', '1gb', 1048576). Raises ValueError."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"size must not be negative, got {value}")
        return value
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"invalid size {value!r} (expected e.g. 512m, 2g, 1gb or bytes)")
    return int(float(match.group(1)) * _FACTORS[match.group(2).lower()])


@dataclass(frozen=True)
class PortMapping:
    host_ip: str
    host_port: int | None  # None: Docker picks a free port
    container_port: int
    protocol: str = "tcp"

    @property
    def container_key(self) -> str:
        """The Docker SDK's key for this mapping: '8265/tcp'."""
        return f"{self.container_port}/{self.protocol}"


def _port_number(text: str, spec: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(
            f"invalid port {text!r} in {spec!r} (expected 1-65535; ranges unsupported)"
        )
    return int(text)


def parse_port(spec: str | int) -> PortMapping:
    """Short syntax '[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]'. Raises ValueError."""
    text = str(spec).strip()
    protocol = "tcp"
    if "/" in text:
        text, protocol = text.rsplit("/", 1)
        if protocol not in ("tcp", "udp"):
            raise ValueError(f"invalid protocol {protocol!r} in {spec!r} (tcp or udp)")
    parts = text.split(":")
    if len(parts) > 3:
        raise ValueError(f"invalid port {spec!r} (IPv6 host addresses are not supported)")
    host_ip = "0.0.0.0"
    host_port: int | None = None
    if len(parts) == 3:
        host_ip = parts[0]
        try:
            ipaddress.IPv4Address(host_ip)
        except ValueError:
            raise ValueError(f"invalid host address {host_ip!r} in {spec!r}") from None
    if len(parts) >= 2 and parts[-2] != "":
        host_port = _port_number(parts[-2], str(spec))
    return PortMapping(host_ip, host_port, _port_number(parts[-1], str(spec)), protocol)
