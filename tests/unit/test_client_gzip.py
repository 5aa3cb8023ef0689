"""gzip (issue 12: 7): the client asks for it and decodes it within its size cap.

Ray 2.60's dashboard (aiohttp) answers uncompressed whatever is asked; a proxy in front of it,
or a later Ray, may compress. The bodies here are answers recorded from a real 2.60 head,
compressed as such a proxy would send them: gzip framing, `content-encoding: gzip`, read as a
stream (httpx.ByteStream), so the client meets the compressed bytes as they come off a socket.
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib

import httpx
import pytest

from sovtui.ray_api.client import MIB, DashboardClient
from sovtui.ray_api.errors import DashboardBadResponse, DashboardRejected, DashboardTooLarge
from tests.support.recorded_ray import RAY_260
from tests.support.tokens import no_token

URL = "http://127.0.0.1:8265"
JOBS = (RAY_260 / "jobs.json").read_bytes()


def compressed(body: bytes, *, status: int = 200, encoding: str = "gzip") -> httpx.Response:
    return httpx.Response(
        status,
        stream=httpx.ByteStream(body),
        headers={
            "content-type": "application/json",
            "content-encoding": encoding,
            "content-length": str(len(body)),
        },
    )


def client_for(
    answer: httpx.Response, seen: list[httpx.Request], max_bytes: int = 32 * MIB
) -> DashboardClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    transport = httpx.MockTransport(handler)
    return DashboardClient(URL, no_token(), transport=transport, max_bytes=max_bytes)


async def test_the_client_asks_for_gzip_and_decodes_it() -> None:
    seen: list[httpx.Request] = []
    client = client_for(compressed(gzip.compress(JOBS)), seen)
    jobs = await client.jobs()
    await client.aclose()
    assert seen[0].headers["accept-encoding"] == "gzip"
    expected = json.loads(JOBS)
    assert [job.submission_id for job in jobs] == [job["submission_id"] for job in expected]
    assert len(jobs) == len(expected) > 0


async def test_the_decoded_body_is_the_recorded_one_and_its_headers_say_so() -> None:
    seen: list[httpx.Request] = []
    client = client_for(compressed(gzip.compress(JOBS)), seen)
    response = await client.request("GET", "/api/jobs/")
    await client.aclose()
    assert response.content == JOBS
    # decoded: no encoding left for httpx to decode again, the length is the decoded one
    assert "content-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(JOBS))


async def test_the_cap_counts_the_decoded_bytes() -> None:
    # 64 MiB of JSON spaces compress to ~64 KiB: under a 1 MiB cap as sent, far over it decoded
    bomb = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    body = b"".join(bomb.compress(b" " * MIB) for _ in range(64)) + bomb.flush()
    assert len(body) < MIB
    client = client_for(compressed(body), [], max_bytes=MIB)
    tracemalloc.start()
    try:
        with pytest.raises(DashboardTooLarge, match=r"answer too large \(> 1 MiB\)"):
            await client.jobs()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    await client.aclose()
    # refused after inflating about the cap, not the 64 MiB it holds
    assert peak < 8 * MIB, peak


async def test_a_body_that_fits_decoded_is_kept_whole() -> None:
    client = client_for(compressed(gzip.compress(JOBS)), [], max_bytes=len(JOBS))
    assert await client.get_bytes("/api/jobs/") == JOBS
    await client.aclose()
    client = client_for(compressed(gzip.compress(JOBS)), [], max_bytes=len(JOBS) - 1)
    with pytest.raises(DashboardTooLarge):
        await client.get_bytes("/api/jobs/")
    await client.aclose()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"not gzip at all", "broken gzip body"),
        (gzip.compress(JOBS)[: len(gzip.compress(JOBS)) // 2], "ends before its end"),
    ],
    ids=["not-gzip", "cut"],
)
async def test_broken_gzip_is_a_bad_response(body: bytes, expected: str) -> None:
    client = client_for(compressed(body), [])
    with pytest.raises(DashboardBadResponse, match=expected):
        await client.jobs()
    await client.aclose()


async def test_an_encoding_not_asked_for_is_refused() -> None:
    client = client_for(compressed(b"\x1b\x00", encoding="br"), [])
    with pytest.raises(DashboardBadResponse, match=f"^{URL}/api/jobs/ answered .* br-compressed"):
        await client.jobs()
    await client.aclose()


async def test_a_gzipped_error_body_gives_its_decoded_start() -> None:
    text = b"500 Internal Server Error\n\nServer got itself in trouble"
    client = client_for(compressed(gzip.compress(text), status=500), [])
    with pytest.raises(DashboardRejected, match="Server got itself in trouble"):
        await client.jobs()
    await client.aclose()
