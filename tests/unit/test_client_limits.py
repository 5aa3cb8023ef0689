"""Bodies are capped while streaming and every request has one total deadline (issue 9: 6, 7).

The servers are real sockets on 127.0.0.1 (tests/support/hostile_http.py), each bounded in time,
so a client without the limits fails these tests instead of hanging or eating the machine's
memory.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from sovtui.cluster import readiness
from sovtui.ray_api import jobs
from sovtui.ray_api.client import MIB, DashboardClient
from sovtui.ray_api.errors import DashboardRejected, DashboardTimeout, DashboardTooLarge
from sovtui.ray_api.packages import Package, package_exists
from tests.support.hostile_http import Behaviour, HostileServer
from tests.support.tokens import no_token


def client_for(server: HostileServer, timeout: float) -> DashboardClient:
    return DashboardClient(server.url, no_token(), max_bytes=1 * MIB, timeout=timeout)


# gzip_bomb: ~1 KiB on the wire per MiB decoded: a cap on the bytes that arrive alone would
# hold ~1 GiB; the cap bounds the decoded bytes too.
@pytest.mark.parametrize("behaviour", ["endless", "gzip_bomb"])
async def test_endless_body_is_refused_at_the_cap(behaviour: str) -> None:
    with HostileServer(Behaviour(behaviour, max_seconds=20)) as server:
        client = client_for(server, timeout=10.0)
        start = time.monotonic()
        with pytest.raises(DashboardTooLarge) as caught:
            await client.version()
        await client.aclose()
    assert time.monotonic() - start < 5
    assert str(caught.value) == f"answer too large (> 1 MiB) from {server.url}/api/version"
    assert caught.value.state == "bad response"


async def test_declared_huge_length_is_refused_before_reading() -> None:
    with HostileServer(Behaviour("declared_huge", max_seconds=20)) as server:
        client = client_for(server, timeout=10.0)
        with pytest.raises(DashboardTooLarge, match=r"answer too large \(> 1 MiB\)"):
            await client.jobs()
        await client.aclose()


async def test_a_dripping_server_times_out_at_the_total_deadline() -> None:
    # One byte every 2 s never trips httpx's per-read timeout; the total deadline must.
    with HostileServer(Behaviour("drip", max_seconds=15)) as server:
        client = client_for(server, timeout=1.5)
        start = time.monotonic()
        with pytest.raises(DashboardTimeout) as caught:
            await client.version()
        elapsed = time.monotonic() - start
        await client.aclose()
    assert 1.4 < elapsed < 4.0
    assert caught.value.state == "timed out"
    assert str(caught.value) == f"{server.url}/api/version did not answer within 1.5 s"


async def test_snapshot_of_a_dripping_server_ends_in_time() -> None:
    with HostileServer(Behaviour("drip", max_seconds=15)) as server:
        client = client_for(server, timeout=1.0)
        start = time.monotonic()
        with pytest.raises(DashboardTimeout):
            await asyncio.wait_for(client.snapshot(), 10)
        assert time.monotonic() - start < 4.0
        await client.aclose()


async def test_a_huge_error_body_gives_one_short_line() -> None:
    with HostileServer(Behaviour("huge_error", max_seconds=20)) as server:
        client = client_for(server, timeout=10.0)
        start = time.monotonic()
        with pytest.raises(DashboardRejected) as caught:
            await client.version()
        await client.aclose()
    assert time.monotonic() - start < 5
    message = str(caught.value)
    assert "\n" not in message and len(message) < 500
    assert message.startswith(f"{server.url}/api/version answered HTTP 500: Traceback")


async def test_package_check_does_not_read_the_package() -> None:
    with HostileServer(Behaviour("endless", max_seconds=20)) as server:
        client = client_for(server, timeout=10.0)
        start = time.monotonic()
        assert await package_exists(client, Package(b"zip", "0" * 40)) is True
        await client.aclose()
    assert time.monotonic() - start < 5


def test_sync_readiness_checks_have_a_total_deadline() -> None:
    with HostileServer(Behaviour("drip", max_seconds=15)) as server:
        start = time.monotonic()
        assert readiness.gcs_healthy(server.url, timeout=1.5) is False
        assert time.monotonic() - start < 4.0


def test_sync_node_count_refuses_an_endless_body() -> None:
    with (
        HostileServer(Behaviour("endless", max_seconds=20)) as server,
        pytest.raises(readiness.BadAnswer, match="answer too large"),
    ):
        readiness.count_nodes(server.url, "token")


async def test_a_log_fetch_has_its_own_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "LOG_MAX_BYTES", 2 * MIB)
    with HostileServer(Behaviour("endless", max_seconds=20)) as server:
        client = DashboardClient(server.url, no_token(), max_bytes=64 * MIB, timeout=10.0)
        with pytest.raises(DashboardTooLarge, match=r"answer too large \(> 2 MiB\) from .*/logs"):
            await jobs.JobsApi(client).logs("raysubmit_1")
        await client.aclose()
