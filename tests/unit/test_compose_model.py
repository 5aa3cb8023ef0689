"""The Compose model: interpolation, validation errors that name file and key, shipped files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovtui.cluster.compose.compose_model import load_compose, parse_compose
from sovtui.cluster.compose.interpolate import interpolate_string, referenced_variables
from sovtui.cluster.compose.units import parse_port, parse_size
from sovtui.cluster.errors import ComposeError

SHIPPED = Path(__file__).resolve().parents[2] / "deployments" / "compose"

VALID = """
services:
  ray-head:
    image: img
    ports: ["127.0.0.1:8265:8265"]
    networks:
      ray:
        ipv4_address: 10.9.0.10
  ray-worker:
    image: img
    networks: [ray]
    depends_on: [ray-head]
networks:
  ray:
    ipam:
      config:
        - subnet: 10.9.0.0/24
"""


def _error(text: str, file: str = "bad.yaml") -> ComposeError:
    with pytest.raises(ComposeError) as caught:
        parse_compose(text, file, {})
    return caught.value


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "1"}, "1"),
        ("$A-x", {"A": "1"}, "1-x"),
        ("${A:-dflt}", {}, "dflt"),
        ("${A:-dflt}", {"A": ""}, "dflt"),
        ("${A-dflt}", {"A": ""}, ""),
        ("${A:-dflt}", {"A": "set"}, "set"),
        ("${A:+alt}", {"A": "x"}, "alt"),
        ("${A:+alt}", {}, ""),
        ("$$HOME", {"HOME": "/root"}, "$HOME"),
        ("${MISSING}", {}, ""),
        ("${A:?needed}", {"A": "ok"}, "ok"),
    ],
)
def test_interpolation(text: str, env: dict[str, str], expected: str) -> None:
    assert interpolate_string(text, env, "f.yaml", ("k",)) == expected


def test_required_variable_error_names_file_key_and_message() -> None:
    with pytest.raises(ComposeError) as caught:
        interpolate_string("${TOKEN:?set the token}", {}, "f.yaml", ("services", "a", "image"))
    message = str(caught.value)
    assert "f.yaml" in message and "services.a.image" in message and "set the token" in message


def test_interpolation_reaches_nested_values() -> None:
    text = VALID.replace("image: img", "image: ${IMG:-fallback}")
    model = parse_compose(text, "x.yaml", {"IMG": "mine:1"})
    assert {s.image for s in model.services.values()} == {"mine:1"}


def test_referenced_variables_skip_escapes() -> None:
    assert referenced_variables("${A:-1} $B $$C ${D:?x}") == {"A", "B", "D"}


def test_valid_file_normalises_short_forms() -> None:
    model = parse_compose(VALID, "ok.yaml", {})
    worker = model.services["ray-worker"]
    assert list(worker.networks) == ["ray"] and list(worker.depends_on) == ["ray-head"]
    assert model.services["ray-head"].ports[0].host_port == 8265


def test_syntax_error_names_file_and_line() -> None:
    message = str(_error("services:\n  a: [unclosed\n"))
    assert "bad.yaml" in message and "line" in message and "YAML syntax" in message


def test_unknown_key_names_file_key_and_line() -> None:
    text = VALID.replace("    image: img\n    ports", "    image: img\n    prots: []\n    ports", 1)
    message = str(_error(text))
    assert "bad.yaml" in message
    assert "services.ray-head.prots" in message and "unknown key 'prots'" in message
    assert "(line 5)" in message


def test_unknown_top_level_key() -> None:
    assert "unknown key 'volumez'" in str(_error(VALID + "volumez: {}\n"))


def test_extension_fields_are_allowed() -> None:
    parse_compose("x-common: &c {a: 1}\n" + VALID, "ok.yaml", {})


@pytest.mark.parametrize("port", ["127.0.0.1:99999:8265", "abc", "1:2:3:4", "8265/sctp", "1-5:1-5"])
def test_bad_port_names_file_and_key(port: str) -> None:
    text = VALID.replace('"127.0.0.1:8265:8265"', f'"{port}"')
    message = str(_error(text))
    assert "bad.yaml" in message and "services.ray-head.ports.0" in message


def test_undefined_network_names_file_and_key() -> None:
    text = VALID.replace("networks: [ray]", "networks: [rey]")
    message = str(_error(text))
    assert "bad.yaml" in message and "services.ray-worker.networks.rey" in message
    assert "undefined network 'rey'" in message


def test_address_outside_subnet() -> None:
    message = str(_error(VALID.replace("10.9.0.10", "10.8.0.10")))
    assert "ipv4_address" in message and "subnet" in message


def test_undefined_dependency() -> None:
    assert "undefined service 'ray-hed'" in str(_error(VALID.replace("[ray-head]", "[ray-hed]")))


def test_missing_image() -> None:
    message = str(_error("services:\n  a:\n    command: x\n"))
    assert "services.a.image" in message and "missing" in message


def test_bad_size() -> None:
    message = str(
        _error(VALID.replace("    image: img\n", "    image: img\n    shm_size: lots\n", 1))
    )
    assert "services.ray-head.shm_size" in message


def test_missing_file() -> None:
    with pytest.raises(ComposeError, match=r"nope\.yaml"):
        load_compose("nope.yaml", {})


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("8265", ("0.0.0.0", None, 8265, "tcp")),
        ("8265:8265", ("0.0.0.0", 8265, 8265, "tcp")),
        ("127.0.0.1:18265:8265/udp", ("127.0.0.1", 18265, 8265, "udp")),
        ("127.0.0.1::8265", ("127.0.0.1", None, 8265, "tcp")),
    ],
)
def test_parse_port(spec: str, expected: tuple[object, ...]) -> None:
    port = parse_port(spec)
    assert (port.host_ip, port.host_port, port.container_port, port.protocol) == expected


def test_parse_size() -> None:
    assert parse_size("512m") == 512 * 2**20
    assert parse_size("1gb") == 2**30
    assert parse_size(1000) == 1000


@pytest.mark.parametrize("name", ["cpu-ray-cluster.yaml", "gpu-ray-cluster.yaml"])
def test_shipped_files_parse(name: str) -> None:
    model = load_compose(SHIPPED / name, {"RAY_AUTH_TOKEN": "t"})
    head, worker = model.services["ray-head"], model.services["ray-worker"]
    assert head.environment["RAY_AUTH_MODE"] == "token"
    assert head.environment["RAY_AUTH_TOKEN"] == "t"
    assert all(port.host_ip == "127.0.0.1" for port in head.ports)
    assert any(port.container_port == 8265 for port in head.ports)
    object_store = next(a for a in head.command or [] if a.startswith("--object-store-memory="))
    assert head.shm_size and head.shm_size > int(object_store.split("=")[1])
    assert worker.deploy.resources.limits.cpus and worker.deploy.resources.limits.memory
    assert head.networks["ray"] and head.networks["ray"].ipv4_address is not None
    if name.startswith("gpu"):
        assert worker.deploy.resources.reservations.devices[0].capabilities == ["gpu"]


@pytest.mark.parametrize("name", ["cpu-ray-cluster.yaml", "gpu-ray-cluster.yaml"])
def test_shipped_files_need_the_token(name: str) -> None:
    with pytest.raises(ComposeError, match="RAY_AUTH_TOKEN"):
        load_compose(SHIPPED / name, {})
