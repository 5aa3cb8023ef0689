"""A real engine's "Pool overlaps" answer: `sovtui up` says what moves the subnet, leaves nothing.

The test makes its own conflicting network and its own empty image (no Ray image needed: the
network is created before any container) and removes exactly those, by id.
"""

from __future__ import annotations

import io
import ipaddress
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from sovtui.cluster.compose.docker_client import connect
from sovtui.cluster.compose.subnets import free_subnet
from sovtui.cluster.errors import DockerUnavailable
from sovtui.cluster.ports import free_port
from tests.support.docker_env import CPU_FILE, leftovers, purge, unavailable

pytestmark = pytest.mark.docker
TEST_LABEL = "sovtui.test"


@pytest.fixture
def engine() -> docker.DockerClient:
    try:
        return connect(timeout=60)
    except DockerUnavailable as error:
        unavailable(f"no Docker engine: {error}")
        raise


def _empty_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w"):
        pass
    return buffer.getvalue()


@pytest.fixture
def own_image(engine: docker.DockerClient) -> Iterator[str]:
    """An empty image under a tag of this test's own (enough to pass `up`'s image check)."""
    tag = uuid.uuid4().hex[:12]
    repository = "sovtui-test/empty"
    engine.api.import_image_from_data(_empty_tar(), repository=repository, tag=tag)
    image = engine.images.get(f"{repository}:{tag}")
    try:
        yield f"{repository}:{tag}"
    finally:
        engine.images.remove(image.id, force=True)


def _taken_subnets(engine: docker.DockerClient) -> list[ipaddress.IPv4Network]:
    taken = []
    for network in engine.networks.list():
        for config in (network.attrs.get("IPAM") or {}).get("Config") or []:
            subnet = config.get("Subnet")
            if subnet and ":" not in subnet:
                taken.append(ipaddress.IPv4Network(subnet, strict=False))
    return taken


@pytest.fixture
def blocking_network(engine: docker.DockerClient) -> Iterator[tuple[str, str]]:
    """(name, subnet) of a network this test creates on a subnet that was free."""
    subnet = free_subnet(24, _taken_subnets(engine))
    assert subnet is not None
    run = uuid.uuid4().hex[:8]
    name = f"sovtui-test-overlap-{run}"
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(subnet))])
    network = engine.networks.create(name, driver="bridge", ipam=ipam, labels={TEST_LABEL: run})
    try:
        yield name, str(subnet)
    finally:
        network.remove()


def test_pool_overlap_names_the_setting_that_moves_the_subnet(
    engine: docker.DockerClient,
    own_image: str,
    blocking_network: tuple[str, str],
    tmp_path: Path,
) -> None:
    name, subnet = blocking_network
    network = ipaddress.IPv4Network(subnet)
    project = f"itest-overlap-{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        XDG_STATE_HOME=str(tmp_path / "state"),
        SOVTUI_RAY_IMAGE=own_image,
        SOVTUI_RAY_SUBNET=subnet,  # the same subnet as the test's network: Docker refuses
        SOVTUI_RAY_HEAD_IP=str(network.network_address + 10),
        SOVTUI_DASHBOARD_PORT=str(free_port()),
        SOVTUI_CLIENT_PORT=str(free_port()),
    )
    try:
        run = subprocess.run(
            [sys.executable, "-m", "sovtui", "up", str(CPU_FILE), "-n", "0", "-p", project],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        error = [line for line in run.stderr.splitlines() if line.startswith("sovtui:")]
        assert run.returncode == 1, run.stderr
        assert "Traceback" not in run.stderr and len(error) == 1, run.stderr
        message = error[0]
        assert "overlaps" in message.lower()
        assert f"{name} ({subnet})" in message
        assert "networks.ray.ipam.config[0].subnet" in message and "$SOVTUI_RAY_SUBNET" in message
        assert "$SOVTUI_RAY_HEAD_IP" in message and str(CPU_FILE) in message
        assert leftovers(engine, project) == ([], [])
    finally:
        purge(engine, project)  # only what carries this test's project label
