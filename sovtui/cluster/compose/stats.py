"""`ps` rows: service, state, CPU% and memory of each container (stats fetched in parallel)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker.errors
from docker.models.containers import Container

from sovtui.cluster.compose.events import ContainerInfo

SERVICE = "com.docker.compose.service"
NUMBER = "com.docker.compose.container-number"


def cpu_percent(stats: dict[str, Any]) -> float | None:
    """Docker's formula: share of the host's CPU time since the previous sample, x online CPUs."""
    try:
        cpu, pre = stats["cpu_stats"], stats["precpu_stats"]
        container_delta = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
        system_delta = cpu["system_cpu_usage"] - pre.get("system_cpu_usage", 0)
        online = cpu.get("online_cpus") or len(cpu["cpu_usage"].get("percpu_usage") or [1])
    except (KeyError, TypeError):
        return None
    if system_delta <= 0 or container_delta < 0:
        return 0.0
    return round(container_delta / system_delta * online * 100.0, 1)


def memory_usage(stats: dict[str, Any]) -> tuple[int | None, int | None]:
    """(used, limit) bytes; page cache is subtracted as `docker stats` does."""
    memory = stats.get("memory_stats") or {}
    usage = memory.get("usage")
    if usage is None:
        return None, None
    details = memory.get("stats") or {}
    cache = details.get("inactive_file", details.get("total_inactive_file", 0))
    return int(usage - cache), memory.get("limit")


def _info(container: Container, with_usage: bool) -> ContainerInfo:
    cpu = used = limit = None
    state = container.attrs.get("State") or {}
    status = (
        f"exited ({state.get('ExitCode')})"
        if container.status == "exited"
        else f"{container.status} since {str(state.get('StartedAt', ''))[:19]}"
    )
    if with_usage and container.status == "running":
        try:
            sample = container.stats(stream=False)
            cpu = cpu_percent(sample)
            used, limit = memory_usage(sample)
        except (docker.errors.APIError, docker.errors.NotFound):
            pass
    return ContainerInfo(
        name=str(container.name),
        service=container.labels.get(SERVICE, ""),
        number=int(container.labels.get(NUMBER, "0") or 0),
        state=str(container.status),
        status=status,
        cpu_percent=cpu,
        memory_bytes=used,
        memory_limit=limit,
        short_id=str(container.short_id),
    )


def collect_stats(
    containers: list[Container], *, with_usage: bool = True, max_parallel: int = 8
) -> list[ContainerInfo]:
    """One stats call takes about a second (Docker samples twice), so run them side by side."""
    if not containers:
        return []
    with ThreadPoolExecutor(max_workers=min(max_parallel, len(containers))) as pool:
        return list(pool.map(lambda c: _info(c, with_usage), containers))
