"""Pydantic model of the Compose subset sovtui runs, and the loader that validates a file.

Everything is checked here, before any container exists: YAML syntax, unknown keys (named with
file and line), port strings, sizes, references to undefined networks and services.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, ValidationError

from sovtui.cluster.compose.interpolate import interpolate
from sovtui.cluster.compose.units import PortMapping, parse_port, parse_size
from sovtui.cluster.compose.yaml_lines import line_map, nearest_line
from sovtui.cluster.errors import ComposeError
from sovtui.support import input_files
from sovtui.support.yaml_io import YamlProblem


def _to_str_list(value: Any) -> Any:
    """Compose accepts `command: "ray start --head"` or a list; keep a list (no shell)."""
    if isinstance(value, str):
        return shlex.split(value)
    if isinstance(value, list):
        return [str(item) for item in value]
    return value


def _to_str_map(value: Any) -> Any:
    """`environment`/`labels` come as a mapping or as a list of KEY=VALUE strings."""
    if isinstance(value, list):
        result: dict[str, str | None] = {}
        for item in value:
            key, sep, rest = str(item).partition("=")
            result[key] = rest if sep else None
        return result
    if isinstance(value, Mapping):
        return {str(k): (None if v is None else _scalar_text(v)) for k, v in value.items()}
    return value


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_name_map(value: Any) -> Any:
    """`networks`/`depends_on` come as a list of names or as a mapping of name -> options."""
    if isinstance(value, list):
        return {str(name): None for name in value}
    return value


def _to_port(value: Any) -> PortMapping:
    if isinstance(value, PortMapping):
        return value
    if not isinstance(value, str | int):
        raise ValueError("expected a port string such as '127.0.0.1:8265:8265'")
    return parse_port(value)


def _to_size(value: Any) -> Any:
    return None if value is None else parse_size(value)


Size = Annotated[int | None, BeforeValidator(_to_size)]
StrList = Annotated[list[str] | None, BeforeValidator(_to_str_list)]
StrMap = Annotated[dict[str, str | None], BeforeValidator(_to_str_map)]
Port = Annotated[PortMapping, PlainValidator(_to_port)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceRequest(_Strict):
    driver: str | None = None
    count: int | Literal["all"] | None = None
    device_ids: list[str] | None = None
    capabilities: list[str] = Field(default_factory=list)
    options: dict[str, str] = Field(default_factory=dict)


class ResourceLimits(_Strict):
    cpus: float | None = Field(default=None, gt=0)
    memory: Size = None
    pids: int | None = None


class ResourceReservations(_Strict):
    cpus: float | None = Field(default=None, gt=0)
    memory: Size = None
    devices: list[DeviceRequest] = Field(default_factory=list)


class Resources(_Strict):
    limits: ResourceLimits = Field(default_factory=ResourceLimits)
    reservations: ResourceReservations = Field(default_factory=ResourceReservations)


class Deploy(_Strict):
    replicas: int | None = Field(default=None, ge=0)
    resources: Resources = Field(default_factory=Resources)


class ServiceNetwork(_Strict):
    ipv4_address: ipaddress.IPv4Address | None = None
    aliases: list[str] = Field(default_factory=list)


class DependsOn(_Strict):
    condition: Literal["service_started", "service_healthy", "service_completed_successfully"] = (
        "service_started"
    )
    required: bool = True


class Service(_Strict):
    image: str
    command: StrList = None
    entrypoint: StrList = None
    environment: StrMap = Field(default_factory=dict)
    ports: list[Port] = Field(default_factory=list)
    shm_size: Size = None
    deploy: Deploy = Field(default_factory=Deploy)
    networks: Annotated[dict[str, ServiceNetwork | None], BeforeValidator(_to_name_map)] = Field(
        default_factory=dict
    )
    depends_on: Annotated[dict[str, DependsOn | None], BeforeValidator(_to_name_map)] = Field(
        default_factory=dict
    )
    labels: StrMap = Field(default_factory=dict)
    hostname: str | None = None
    restart: Literal["no", "always", "on-failure", "unless-stopped"] | None = None


class IpamConfig(_Strict):
    subnet: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Address | None = None
    ip_range: ipaddress.IPv4Network | None = None


class Ipam(_Strict):
    driver: str | None = None
    config: list[IpamConfig] = Field(default_factory=list)


class Network(_Strict):
    driver: str = "bridge"
    name: str | None = None
    internal: bool = False
    attachable: bool = False
    ipam: Ipam | None = None
    labels: StrMap = Field(default_factory=dict)


class ComposeFile(_Strict):
    name: str | None = None
    version: str | None = None  # obsolete in the Compose spec, still common in files
    services: dict[str, Service]
    networks: dict[str, Network | None] = Field(default_factory=dict)


def _strip_extensions(data: dict[str, Any]) -> dict[str, Any]:
    """Drop `x-*` extension keys where Compose allows them (top level, services, networks)."""
    clean = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    for section in ("services", "networks"):
        block = clean.get(section)
        if isinstance(block, dict):
            clean[section] = {
                name: (
                    {k: v for k, v in body.items() if not str(k).startswith("x-")}
                    if isinstance(body, dict)
                    else body
                )
                for name, body in block.items()
            }
    return clean


def _where(loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> str:
    text = ".".join(str(part) for part in loc)
    line = nearest_line(lines, loc)
    return f"{text} (line {line})" if line is not None else text


def _check_references(model: ComposeFile, file: str, lines: dict[Any, int]) -> None:
    for name, service in model.services.items():
        for net_name, options in service.networks.items():
            loc = ("services", name, "networks", net_name)
            if net_name != "default" and net_name not in model.networks:
                raise ComposeError(file, _where(loc, lines), f"undefined network '{net_name}'")
            address = options.ipv4_address if options else None
            if address is None:
                continue
            network = model.networks.get(net_name)
            subnets = [c.subnet for c in network.ipam.config] if network and network.ipam else []
            if not any(address in subnet for subnet in subnets):
                raise ComposeError(
                    file,
                    _where((*loc, "ipv4_address"), lines),
                    f"{address} is not inside a subnet declared for network '{net_name}'",
                )
        for dependency in service.depends_on:
            if dependency not in model.services:
                loc = ("services", name, "depends_on", dependency)
                raise ComposeError(file, _where(loc, lines), f"undefined service '{dependency}'")


def parse_compose(text: str, file: str, environ: Mapping[str, str] | None = None) -> ComposeFile:
    """Validate Compose text; `file` only labels error messages."""
    environ = os.environ if environ is None else environ
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        found = YamlProblem.of(exc)
        where = f"line {found.line}, column {found.column}" if found.line is not None else ""
        raise ComposeError(file, where, f"YAML syntax error: {found.problem}") from None
    if not isinstance(raw, dict):
        raise ComposeError(file, "", "expected a mapping with a 'services' key at top level")
    lines = line_map(text)
    data = interpolate(_strip_extensions(raw), environ, file)
    try:
        model = ComposeFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        if first["type"] == "extra_forbidden":
            reason = f"unknown key '{loc[-1]}'"
        elif first["type"] == "missing":
            reason = f"required key '{loc[-1]}' is missing"
        else:
            reason = first["msg"].removeprefix("Value error, ")
        raise ComposeError(file, _where(loc, lines), reason) from None
    _check_references(model, file, lines)
    return model


def load_compose(path: Path | str, environ: Mapping[str, str] | None = None) -> ComposeFile:
    """Read and validate a Compose file from disk."""
    path = Path(path)
    try:
        text = input_files.read_text(path)
    except input_files.InputFileError as exc:
        raise ComposeError(str(path), "", exc.reason) from None
    return parse_compose(text, str(path), environ)
