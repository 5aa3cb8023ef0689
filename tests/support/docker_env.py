"""Helpers for tests against the REAL Docker engine: own ports, subnet, project; label cleanup."""

from __future__ import annotations

import os
import random
import uuid
from pathlib import Path

import docker
import pytest

from sovtui.cluster.compose import container_spec as cs
from sovtui.cluster.compose.docker_client import connect
from sovtui.cluster.compose.image_build import LATEST
from sovtui.cluster.errors import DockerUnavailable
from sovtui.cluster.ports import free_port

COMPOSE_FILES = Path(__file__).resolve().parents[2] / "deployments" / "compose"
CPU_FILE = COMPOSE_FILES / "cpu-ray-cluster.yaml"


def unavailable(reason: str) -> None:
    """Skip outside CI; under CI=true a missing engine or image is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def engine_or_skip() -> docker.DockerClient:
    try:
        client = connect(timeout=120)
    except DockerUnavailable as error:
        unavailable(f"no Docker engine: {error}")
    try:
        client.images.get(LATEST)
    except docker.errors.ImageNotFound:
        unavailable(f"image {LATEST} missing: run `make image` (sovtui image build)")
    return client


def cluster_env(monkeypatch: pytest.MonkeyPatch, state: Path) -> None:
    """Own ports and subnet, small object store; state in a temp dir."""
    octet = random.randint(0, 250)
    values = {
        "XDG_STATE_HOME": str(state),
        "SOVTUI_DASHBOARD_PORT": str(free_port()),
        "SOVTUI_CLIENT_PORT": str(free_port()),
        "SOVTUI_RAY_SUBNET": f"172.31.{octet}.0/24",
        "SOVTUI_RAY_HEAD_IP": f"172.31.{octet}.10",
        "SOVTUI_OBJECT_STORE_BYTES": str(100 * 2**20),
        "SOVTUI_SHM_SIZE": "256m",
        "SOVTUI_HEAD_CPUS": "1",
        "SOVTUI_WORKER_CPUS": "1",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)


def leftovers(client: docker.DockerClient, project: str) -> tuple[list[str], list[str]]:
    label = {"label": f"{cs.PROJECT}={project}"}
    containers = [str(c.name) for c in client.containers.list(all=True, filters=label)]
    networks = [str(n.name) for n in client.networks.list(filters=label)]
    return containers, networks


def purge(client: docker.DockerClient, project: str) -> None:
    """Cleanup by label: only what carries this test's project."""
    label = {"label": f"{cs.PROJECT}={project}"}
    for container in client.containers.list(all=True, filters=label):
        container.remove(force=True)
    for network in client.networks.list(filters=label):
        network.remove()


def new_project(prefix: str = "sovtui-it") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
