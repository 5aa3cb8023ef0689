"""Connect to the Docker engine the way the docker CLI does (DOCKER_HOST, else the socket)."""

from __future__ import annotations

import os

import docker
import docker.errors

from sovtui.cluster.errors import DockerUnavailable

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


def engine_location() -> str:
    """Where docker-py looks, as the docker CLI decides: DOCKER_HOST, the context, the socket."""
    host = os.environ.get("DOCKER_HOST", "").strip()
    if host:
        return f"DOCKER_HOST={host}"
    name = os.environ.get("DOCKER_CONTEXT", "").strip() or _current_context_name()
    if name and name != "default":
        return f"docker context '{name}' ({_context_host(name)})"
    return f"the default socket {DEFAULT_SOCKET}"


def _current_context_name() -> str:
    from docker.context.config import get_current_context_name

    return str(get_current_context_name())


def _context_host(name: str) -> str:
    from docker.context.api import ContextAPI

    try:
        context = ContextAPI.get_context(name)
    except (docker.errors.DockerException, OSError, ValueError) as exc:
        return f"unreadable: {exc}"
    return str(getattr(context, "Host", None) or "no endpoint") if context else "not found"


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
