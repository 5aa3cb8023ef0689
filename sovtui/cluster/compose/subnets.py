"""Say how to move a Compose network's subnet when Docker refuses it as overlapping.

Docker answers "Pool overlaps with other one on this address space" and nothing more. What the
user needs: which existing network holds the addresses, which field of which file (and which
variable feeding it) sets ours, and a subnet that is free now.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sovtui.cluster.compose.compose_model import ComposeFile
from sovtui.cluster.compose.interpolate import referenced_variables
from sovtui.cluster.compose.yaml_lines import line_map
from sovtui.support.yaml_io import safe_load

Subnet = ipaddress.IPv4Network | ipaddress.IPv6Network
OVERLAP_MARKERS = ("overlaps with other one", "pool overlaps")
# Where a free replacement is looked for: the private ranges Docker itself draws from.
_CANDIDATE_RANGES = ("172.16.0.0/12", "192.168.0.0/16", "10.0.0.0/8")


def is_overlap_error(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in OVERLAP_MARKERS)


def _raw_value(data: Any, path: tuple[str | int, ...]) -> Any:
    """The uninterpolated value at `path` in the file's YAML, or None."""
    for part in path:
        in_mapping = isinstance(data, Mapping) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if not (in_mapping or in_list):
            return None
        data = data[part]
    return data


def _field(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _setting(data: Any, lines: dict[Any, int], path: tuple[str | int, ...]) -> str:
    """`networks.ray.ipam.config[0].subnet (line 78, set by $SOVTUI_RAY_SUBNET)`."""
    details = []
    line = lines.get(path)
    if line is not None:
        details.append(f"line {line}")
    raw = _raw_value(data, path)
    names = sorted(referenced_variables(raw)) if isinstance(raw, str) else []
    if names:
        details.append("set by " + ", ".join(f"${name}" for name in names))
    return _field(path) + (f" ({', '.join(details)})" if details else "")


def _taken_by(existing: Mapping[str, Iterable[str]], ours: list[Subnet]) -> list[str]:
    """Names of existing networks with a subnet that overlaps one of ours."""
    names = []
    for name, subnets in existing.items():
        for text in subnets:
            try:
                theirs = ipaddress.ip_network(text, strict=False)
            except ValueError:
                continue
            if any(mine.version == theirs.version and mine.overlaps(theirs) for mine in ours):
                names.append(f"{name} ({theirs})")
                break
    return names


def free_subnet(prefix: int, taken: Iterable[Subnet]) -> ipaddress.IPv4Network | None:
    """The first IPv4 subnet of this size in the private ranges that overlaps nothing taken."""
    used = [net for net in taken if net.version == 4]
    for block in _CANDIDATE_RANGES:
        for candidate in ipaddress.IPv4Network(block).subnets(new_prefix=max(prefix, 8)):
            if not any(candidate.overlaps(net) for net in used):
                return candidate
    return None


def _all_taken(existing: Mapping[str, Iterable[str]]) -> list[Subnet]:
    taken: list[Subnet] = []
    for subnets in existing.values():
        for text in subnets:
            try:
                taken.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                continue
    return taken


def overlap_hint(
    file: Path, spec: ComposeFile, network: str, existing: Mapping[str, Iterable[str]]
) -> str:
    """What to change, for Docker's "Pool overlaps" on `network` (a key of spec.networks)."""
    try:
        text = file.read_text(encoding="utf-8")
        data = safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError):
        text, data = "", None
    lines = line_map(text) if text else {}
    declared = spec.networks.get(network)
    configs = declared.ipam.config if declared and declared.ipam else []
    if not configs:
        return (
            f"network '{network}' has no subnet of its own in {file}: set one with "
            f"networks.{network}.ipam.config[0].subnet"
        )
    ours: list[Subnet] = [config.subnet for config in configs]
    fields = [
        _setting(data, lines, ("networks", network, "ipam", "config", index, "subnet"))
        for index in range(len(configs))
    ]
    holders = _taken_by(existing, ours)
    held = f" overlaps Docker network {', '.join(holders)}" if holders else " is taken"
    message = (
        f"subnet {', '.join(str(net) for net in ours)} of network '{network}'{held}; "
        f"move it with {' and '.join(fields)} in {file}"
    )
    addresses = _address_fields(text, data, lines, spec, network)
    if addresses:
        message += f", and the addresses inside it: {', '.join(addresses)}"
    suggestion = free_subnet(ours[0].prefixlen, _all_taken(existing))
    if suggestion is not None:
        message += f" (free now: {suggestion})"
    return message


def _address_fields(
    text: str, data: Any, lines: dict[Any, int], spec: ComposeFile, network: str
) -> list[str]:
    """The services' fixed `ipv4_address` fields on `network`: they must move along."""
    found = []
    for name, service in spec.services.items():
        options = service.networks.get(network)
        if options is not None and options.ipv4_address is not None:
            path = ("services", name, "networks", network, "ipv4_address")
            found.append(_setting(data, lines, path))
    return found
