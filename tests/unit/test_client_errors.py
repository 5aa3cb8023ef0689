"""Bad answers and refusals become clear DashboardErrors, never tracebacks."""

from __future__ import annotations

import httpx
import pytest

from sovtui.cluster.ports import free_port
from sovtui.ray_api.auth import TokenLookup
from sovtui.ray_api.client import DashboardClient, normalise_address
from sovtui.ray_api.errors import (
    DashboardBadResponse,
    DashboardUnauthorized,
    DashboardUnreachable,
)
from tests.support.recorded_ray import RecordedRay
from tests.support.tokens import no_token


def client_answering(response: httpx.Response, token: TokenLookup | None = None) -> DashboardClient:
    transport = httpx.MockTransport(lambda request: response)
    return DashboardClient("http://127.0.0.1:8265", token or no_token(), transport=transport)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            httpx.Response(
                200, text="<html><body>nginx</body></html>", headers={"content-type": "text/html"}
            ),
            "HTML page, not a Ray dashboard",
        ),
        (httpx.Response(404, text="Not Found"), "404 Not Found: is this a Ray dashboard?"),
        (
            httpx.Response(200, text="{not json", headers={"content-type": "application/json"}),
            "not JSON",
        ),
        (httpx.Response(200, json={"hello": "world"}), "did not answer like Ray 2.x"),
    ],
)
async def test_not_a_ray_dashboard(response: httpx.Response, expected: str) -> None:
    client = client_answering(response)
    with pytest.raises(DashboardBadResponse, match=expected):
        await client.snapshot()
    await client.aclose()


async def test_401_says_token_missing_and_where_it_looked() -> None:
    client = client_answering(httpx.Response(401, text="Unauthorized"))
    with pytest.raises(DashboardUnauthorized) as caught:
        await client.version()
    message = str(caught.value)
    assert caught.value.status_code == 401
    assert "none was found" in message
    assert "$RAY_AUTH_TOKEN" in message and "auth_token" in message


async def test_403_says_token_wrong_and_names_its_source() -> None:
    token = TokenLookup("wrong-secret", "$RAY_AUTH_TOKEN", ("$RAY_AUTH_TOKEN",))
    client = client_answering(httpx.Response(403, text="Forbidden"), token)
    with pytest.raises(DashboardUnauthorized) as caught:
        await client.version()
    assert caught.value.status_code == 403
    assert "$RAY_AUTH_TOKEN" in str(caught.value) and "wrong" in str(caught.value)
    assert "wrong-secret" not in str(caught.value)


async def test_unreachable_address_is_a_state() -> None:
    client = DashboardClient(f"http://127.0.0.1:{free_port()}", no_token(), timeout=2)
    with pytest.raises(DashboardUnreachable, match="cannot reach"):
        await client.snapshot()
    await client.aclose()


async def test_token_sent_as_bearer_and_no_browser_headers() -> None:
    seen: list[httpx.Request] = []
    recorded = RecordedRay()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return recorded.handler(request)

    token = TokenLookup("abc", "$RAY_AUTH_TOKEN", ("$RAY_AUTH_TOKEN",))
    client = DashboardClient("127.0.0.1:8265", token, transport=httpx.MockTransport(handler))
    snapshot = await client.snapshot()
    await client.aclose()
    assert snapshot.version is not None and snapshot.version.ray_version == "2.60.0"
    for request in seen:
        assert request.headers["authorization"] == "Bearer abc"
        assert "mozilla" not in request.headers["user-agent"].lower()
        assert "origin" not in request.headers and "referer" not in request.headers


def test_normalise_address() -> None:
    assert normalise_address("127.0.0.1:8265/") == "http://127.0.0.1:8265"
    assert normalise_address(" https://ray.example:443 ") == "https://ray.example:443"
