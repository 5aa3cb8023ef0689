"""Async client for the Ray dashboard: one long-lived httpx.AsyncClient, errors mapped to states."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from sovtui import __version__
from sovtui.ray_api.auth import TokenLookup
from sovtui.ray_api.errors import (
    DashboardBadResponse,
    DashboardRejected,
    DashboardUnauthorized,
    DashboardUnreachable,
)
from sovtui.ray_api.models import (
    ClusterStatusData,
    Envelope,
    JobDetails,
    NodeSummary,
    NodeSummaryData,
    StateListData,
    StateNode,
    VersionInfo,
)
from sovtui.ray_api.snapshot import ClusterSnapshot, build_snapshot
from sovtui.ray_api.summary_parse import parse_incrementally

if TYPE_CHECKING:
    import httpx

ModelT = TypeVar("ModelT")

_VERSION = TypeAdapter(VersionInfo)
_JOBS = TypeAdapter(list[JobDetails])
_STATUS = TypeAdapter(Envelope[ClusterStatusData])
_STATE_NODES = TypeAdapter(Envelope[StateListData])


def normalise_address(address: str) -> str:
    """`127.0.0.1:8265` -> `http://127.0.0.1:8265`; trailing slashes dropped."""
    address = address.strip().rstrip("/")
    if "://" not in address:
        address = f"http://{address}"
    return address


class DashboardClient:
    """Talks to one Ray dashboard. Safe to share between workers; close with `aclose()`."""

    def __init__(
        self,
        address: str,
        token: TokenLookup,
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._timeout = timeout
        self._clock = clock
        self._transport = transport
        self.address = normalise_address(address)
        self.token = token
        # Made on first use: httpx is a large import, and the TUI paints before it polls.
        self._http: httpx.AsyncClient | None = None
        self._version: VersionInfo | None = None

    def _new_http(self) -> httpx.AsyncClient:
        import httpx

        # No browser-like headers: Ray only lets browser-looking requests GET.
        headers = {"User-Agent": f"sovtui/{__version__}", "Accept": "application/json"}
        if self.token.token:
            headers["Authorization"] = f"Bearer {self.token.token}"
        return httpx.AsyncClient(
            base_url=self.address,
            headers=headers,
            timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 3.0)),
            transport=self._transport,
            follow_redirects=False,
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying client, for modules (jobs, logs, packages) that add endpoints."""
        if self._http is None:
            self._http = self._new_http()
        return self._http

    async def retarget(self, address: str, token: TokenLookup) -> None:
        """Point at another dashboard (a cluster sovtui just brought up)."""
        old = self._http
        self.address = normalise_address(address)
        self.token = token
        self._version = None
        self._http = None
        if old is not None:
            await old.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    # -- transport and error mapping -------------------------------------------------------

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; connection failures and auth refusals become DashboardErrors."""
        import httpx

        url = f"{self.address}{path}"
        try:
            response = await self.http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise DashboardUnreachable(f"{url} timed out after {self._timeout:g} s") from None
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise DashboardUnreachable(f"cannot reach {self.address}: {reason}") from None
        if response.status_code == 401:
            raise DashboardUnauthorized(
                f"{self.address} wants a Ray auth token (HTTP 401) and none was found; "
                f"looked in {self.token.describe_search()}",
                401,
            )
        if response.status_code == 403:
            source = self.token.source or "nowhere"
            raise DashboardUnauthorized(
                f"{self.address} refused the Ray auth token from {source} (HTTP 403): "
                "the token is wrong for this cluster",
                403,
            )
        return response

    async def get_json(self, path: str, adapter: TypeAdapter[ModelT], **params: Any) -> ModelT:
        content = await self.get_bytes(path, **params)
        try:
            return adapter.validate_json(content)
        except ValidationError as exc:
            raise self._bad_json(f"{self.address}{path}", exc) from None

    def _bad_json(self, url: str, exc: ValidationError) -> DashboardBadResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        reason = (
            "the body is not JSON"
            if first["type"] == "json_invalid"
            else f"{where}: {first['msg']}"
        )
        return DashboardBadResponse(f"{url} did not answer like Ray 2.x: {reason}")

    async def get_bytes(self, path: str, **params: Any) -> bytes:
        """GET a JSON endpoint's raw body, mapping non-JSON answers to DashboardErrors."""
        response = await self.request("GET", path, params=params or None)
        url = f"{self.address}{path}"
        if response.status_code == 404:
            raise DashboardBadResponse(f"{url} answered 404 Not Found: is this a Ray dashboard?")
        if response.status_code >= 400:
            body = response.text[:300]
            raise DashboardRejected(
                f"{url} answered HTTP {response.status_code}: {body}", response.status_code, body
            )
        content_type = response.headers.get("content-type", "")
        if "html" in content_type:
            raise DashboardBadResponse(f"{url} answered with an HTML page, not a Ray dashboard")
        return response.content

    # -- endpoints ---------------------------------------------------------------------------

    async def gcs_healthy(self) -> bool:
        """True when the GCS answers `/api/gcs_healthz` (needs no token)."""
        try:
            response = await self.request("GET", "/api/gcs_healthz")
        except DashboardUnreachable:
            return False
        return response.status_code == 200

    async def version(self) -> VersionInfo:
        info = await self.get_json("/api/version", _VERSION)
        self._version = info
        return info

    async def cluster_status(self) -> ClusterStatusData:
        return (await self.get_json("/api/cluster_status", _STATUS)).data

    async def node_summaries(self) -> list[NodeSummary]:
        return (await self.node_summary_data()).summary

    async def node_summary_data(self) -> NodeSummaryData:
        content = await self.get_bytes("/nodes", view="summary")
        try:
            return await parse_incrementally(content)
        except ValidationError as exc:
            raise self._bad_json(f"{self.address}/nodes", exc) from None

    async def state_nodes(self) -> list[StateNode]:
        return (await self.get_json("/api/v0/nodes", _STATE_NODES)).data.result.result

    async def jobs(self) -> list[JobDetails]:
        return await self.get_json("/api/jobs/", _JOBS)

    async def snapshot(self) -> ClusterSnapshot:
        """Everything one dashboard refresh needs, fetched concurrently."""
        version = self._version or await self.version()
        status, summary, jobs = await asyncio.gather(
            self.cluster_status(), self.node_summary_data(), self.jobs()
        )
        return build_snapshot(
            version,
            status,
            summary.summary,
            jobs,
            taken_at=self._clock(),
            logical=summary.node_logical_resources,
        )
