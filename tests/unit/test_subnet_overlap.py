"""Docker's "Pool overlaps" says nothing of what to change; sovtui names the field and variable."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import docker.errors
import pytest

from sovtui.cluster.compose.compose_model import load_compose
from sovtui.cluster.compose.docker_driver import ComposeDriver
from sovtui.cluster.compose.subnets import free_subnet, is_overlap_error, overlap_hint
from sovtui.cluster.errors import ClusterError
from sovtui.cluster.ports import free_port

SHIPPED = Path(__file__).resolve().parents[2] / "deployments" / "compose" / "cpu-ray-cluster.yaml"
DOCKER_SAYS = "Pool overlaps with other one on this address space"
ENV = {"RAY_AUTH_TOKEN": "t"}


def test_hint_names_the_network_in_the_way_the_field_the_variables_and_a_free_subnet() -> None:
    spec = load_compose(SHIPPED, ENV)
    existing = {"bridge": ["172.17.0.0/16"], "someones-net": ["172.28.0.0/16"]}
    hint = overlap_hint(SHIPPED, spec, "ray", existing)
    assert "subnet 172.28.5.0/24 of network 'ray'" in hint
    assert "someones-net (172.28.0.0/16)" in hint and "bridge" not in hint
    assert "networks.ray.ipam.config[0].subnet (line 78, set by $SOVTUI_RAY_SUBNET)" in hint
    assert "services.ray-head.networks.ray.ipv4_address" in hint and "$SOVTUI_RAY_HEAD_IP" in hint
    assert str(SHIPPED) in hint
    assert "free now: 172.16.0.0/24" in hint


def test_hint_for_a_file_whose_network_has_no_subnet(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("services:\n  ray-head:\n    image: x\n    networks: [n]\nnetworks:\n  n: {}\n")
    hint = overlap_hint(file, load_compose(file, ENV), "n", {})
    assert "networks.n.ipam.config[0].subnet" in hint and str(file) in hint


def test_free_subnet_skips_every_taken_range() -> None:
    taken = [__import__("ipaddress").ip_network(n) for n in ("172.16.0.0/12", "192.168.0.0/17")]
    assert str(free_subnet(24, taken)) == "192.168.128.0/24"


@pytest.mark.parametrize(
    "text",
    [DOCKER_SAYS, f"invalid pool request: {DOCKER_SAYS}", "Pool overlaps with other one"],
)
def test_docker_wordings_are_recognised(text: str) -> None:
    assert is_overlap_error(text)


def _engine_refusing_the_subnet() -> mock.MagicMock:
    """A Docker client whose engine has 172.28.0.0/16 taken by another network."""
    holder = mock.MagicMock()
    holder.name = "lab-net"
    holder.attrs = {"IPAM": {"Config": [{"Subnet": "172.28.0.0/16"}]}}

    def networks(names: Any = None, filters: Any = None) -> list[Any]:
        return [] if names or filters else [holder]

    client = mock.MagicMock()
    client.containers.list.return_value = []
    client.networks.list.side_effect = networks
    client.networks.create.side_effect = docker.errors.APIError(
        "400 Client Error", explanation=DOCKER_SAYS
    )
    return client


def test_up_names_what_moves_the_subnet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setenv("SOVTUI_DASHBOARD_PORT", str(free_port()))
    monkeypatch.setenv("SOVTUI_CLIENT_PORT", str(free_port()))
    client = _engine_refusing_the_subnet()
    driver = ComposeDriver("overlap", client_factory=lambda: client)
    with pytest.raises(ClusterError) as caught:
        driver.up(SHIPPED, 0)
    message = str(caught.value)
    assert DOCKER_SAYS in message
    assert "lab-net (172.28.0.0/16)" in message
    assert "$SOVTUI_RAY_SUBNET" in message and "$SOVTUI_RAY_HEAD_IP" in message
    assert len(message.splitlines()) == 1
