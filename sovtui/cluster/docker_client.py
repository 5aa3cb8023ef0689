"""Connect to the Docker engine the way the docker CLI does (DOCKER_HOST, else the socket)."""

from __future__ import annotations

import os

import docker
import docker.errors

from sovtui.cluster.errors import DockerUnavailable

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


def engine_location() -> str:
    host = os.environ.get("DOCKER_HOST", "").strip()
    return f"DOCKER_HOST={host}" if host else f"the default socket {DEFAULT_SOCKET}"


def connect(timeout: int = 60) -> docker.DockerClient:
    """A client that has answered a ping, or DockerUnavailable saying where we looked."""
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, OSError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DockerUnavailable(
            f"no Docker engine answered at {engine_location()} ({first_line[:200]}). "
            "Compose clusters need one (try .ci/docker-setup.sh); the embedded and attached "
            "modes (`sovtui`, `sovtui --address URL`) still work without Docker."
        ) from None
    return client
