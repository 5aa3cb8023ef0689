"""Async client for the Ray dashboard: one long-lived httpx.AsyncClient, errors mapped to states."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from sovtui import __version__
from sovtui.lazy_import import import_off_loop
from sovtui.ray_api.auth import TokenLookup
from sovtui.ray_api.errors import (
    DashboardBadResponse,
    DashboardRejected,
    DashboardUnauthorized,
    DashboardUnreachable,
)
from sovtui.ray_api.snapshot import ClusterSnapshot, build_snapshot

if TYPE_CHECKING:
    import httpx
    from pydantic import TypeAdapter

    from sovtui.ray_api.models import (
        ClusterStatusData,
        JobDetails,
        NodeSummary,
        NodeSummaryData,
        StateNode,
        VersionInfo,
    )

ModelT = TypeVar("ModelT")


def _fail_fast_without_sniffio() -> None:
    """httpcore tries `import sniffio` on every request (to tell asyncio from trio). anyio 4
    no longer brings sniffio, and a failing import searches all of sys.path each time: ~40
    stat calls a request, the idle dashboard's largest HTTP cost. A None in sys.modules is
    Python's documented way to make that import fail at once; httpcore then assumes asyncio,
    which is what runs here."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


async def _answers() -> ModuleType:
    """The validation module: pydantic and the models, ~80 ms to import the first time."""
    return await import_off_loop("sovtui.ray_api.answers")


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
        _fail_fast_without_sniffio()
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

    async def http(self) -> httpx.AsyncClient:
        """The underlying client, for modules (logs) that need more than `request`.

        The first one costs ~150 ms (importing httpx, loading the CA bundle): it is made in
        a thread, once, so the event loop keeps drawing meanwhile."""
        if self._http is None:
            made = await asyncio.to_thread(self._new_http)
            if self._http is None:
                self._http = made
            else:  # another request made one meanwhile: keep one
                await made.aclose()
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
        http = await self.http()
        import httpx  # loaded by now

        url = f"{self.address}{path}"
        try:
            response = await http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise DashboardUnreachable(f"{url} timed out after {self._timeout:g} s") from None
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise DashboardUnreachable(f"cannot reach {self.address}: {reason}") from None
        if response.status_code in (401, 403):
            status = response.status_code
            raise DashboardUnauthorized(self.token.refusal(self.address, status), status)
        return response

    async def get_json(self, path: str, adapter: TypeAdapter[ModelT], **params: Any) -> ModelT:
        content = await self.get_bytes(path, **params)
        return (await _answers()).validate(adapter, content, f"{self.address}{path}")

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
        answers = await _answers()
        info = await self.get_json("/api/version", answers.VERSION)
        self._version = info
        return info

    async def cluster_status(self) -> ClusterStatusData:
        answers = await _answers()
        return (await self.get_json("/api/cluster_status", answers.STATUS)).data

    async def node_summaries(self) -> list[NodeSummary]:
        return (await self.node_summary_data()).summary

    async def node_summary_data(self) -> NodeSummaryData:
        answers = await _answers()
        content = await self.get_bytes("/nodes", view="summary")
        return await answers.node_summary(content, f"{self.address}/nodes")

    async def state_nodes(self) -> list[StateNode]:
        answers = await _answers()
        return (await self.get_json("/api/v0/nodes", answers.STATE_NODES)).data.result.result

    async def jobs(self) -> list[JobDetails]:
        answers = await _answers()
        return await self.get_json("/api/jobs/", answers.JOBS)

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
