"""Is the cluster ready? Asked over HTTP through the head's published 127.0.0.1 port only."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from sovtui.cluster.errors import ClusterError

# /nodes?view=summary of a big cluster is a few MiB; health answers are a few bytes.
NODES_MAX_BYTES = 64 * 1024 * 1024
HEALTH_MAX_BYTES = 4096


class BadAnswer(ClusterError):
    """The dashboard answered, but not usably (error status, too large, not JSON): retryable."""


@dataclass(frozen=True)
class NodeCount:
    alive: int
    dead: int
    cpus: float
    alive_hosts: frozenset[str] = frozenset()


def bounded_get(
    url: str,
    *,
    timeout: float,
    limit: int,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """GET with one deadline for the whole exchange and at most `limit` body bytes.

    httpx's timeout is per read, so a server dripping a byte a second would never trip it: the
    deadline is checked after every chunk (overshooting by at most one read timeout). Raises
    httpx.TimeoutException past the deadline, BadAnswer past the size cap."""
    deadline = time.monotonic() + timeout
    read_timeout = httpx.Timeout(min(timeout, 1.0))
    # identity: the raw bytes are what is capped and parsed (a compressing proxy would send gzip).
    headers = {"Accept-Encoding": "identity", **(headers or {})}
    with httpx.stream("GET", url, params=params, headers=headers, timeout=read_timeout) as response:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > limit:
                raise BadAnswer(f"answer too large (> {limit / 1048576:g} MiB) from {url}")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(f"{url} did not answer within {timeout:g} s")
        return response.status_code, b"".join(chunks)


def gcs_healthy(url: str, timeout: float = 2.0) -> bool:
    """The GCS answers /api/gcs_healthz (no token needed) once the head can take workers."""
    try:
        status, _ = bounded_get(f"{url}/api/gcs_healthz", timeout=timeout, limit=HEALTH_MAX_BYTES)
    except (httpx.HTTPError, BadAnswer):
        return False
    return status == 200


def wait_for_gcs(url: str, timeout: float, head_problem: Callable[[], str | None]) -> float:
    """Poll until healthy; `head_problem` says why to stop early (the head container died)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if gcs_healthy(url):
            return time.monotonic() - start
        problem = head_problem()
        if problem:
            raise ClusterError(problem)
        time.sleep(0.25)
    raise ClusterError(f"the Ray head did not answer {url}/api/gcs_healthz within {timeout:.0f}s")


def _summary(payload: Any) -> list[dict[str, Any]]:
    data = payload.get("data", {}) if isinstance(payload, dict) else {}
    summary = data.get("summary", [])
    return summary if isinstance(summary, list) else []


def count_nodes(url: str, token: str) -> NodeCount:
    """Nodes by raylet state from /nodes?view=summary (camelCase keys, token required)."""
    status, body = bounded_get(
        f"{url}/nodes",
        params={"view": "summary"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5.0,
        limit=NODES_MAX_BYTES,
    )
    if status in (401, 403):
        raise ClusterError(f"the dashboard refused the cluster token (HTTP {status})")
    if status >= 400:
        raise BadAnswer(f"{url}/nodes answered HTTP {status}")
    try:
        payload = json.loads(body)
    except ValueError:
        raise BadAnswer(f"{url}/nodes did not answer JSON") from None
    alive = dead = 0
    cpus = 0.0
    hosts: set[str] = set()
    for node in _summary(payload):
        raylet = node.get("raylet", {})
        if raylet.get("state") == "ALIVE":
            alive += 1
            cpus += float(raylet.get("resourcesTotal", {}).get("CPU", 0.0))
            hosts.add(str(node.get("hostname", "")))
        else:
            dead += 1
    return NodeCount(alive, dead, cpus, frozenset(hosts))


def wait_for_nodes(
    url: str,
    token: str,
    alive: int,
    timeout: float,
    report: Callable[[NodeCount], None] | None = None,
    hosts: frozenset[str] | None = None,
) -> NodeCount:
    """Poll until exactly `alive` nodes are ALIVE (after a scale-down, fewer must remain).

    `hosts` (the containers' hostnames) makes it exact: a killed container's node stays ALIVE
    for a moment, so a count alone could be satisfied by a node that is about to die.
    """
    start = time.monotonic()
    last = NodeCount(0, 0, 0.0)
    while time.monotonic() - start < timeout:
        try:
            current = count_nodes(url, token)
        except (httpx.HTTPError, BadAnswer):
            current = last
        if current != last and report is not None:
            report(current)
        last = current
        if current.alive == alive and (hosts is None or current.alive_hosts == hosts):
            return current
        # /nodes costs the head's dashboard real work; while nodes boot on few cores,
        # polling it fast slows down the very thing we wait for.
        time.sleep(1.0)
    raise ClusterError(f"{last.alive} Ray nodes ALIVE, not {alive}, after {timeout:.0f}s")
