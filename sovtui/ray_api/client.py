"""Async client for the Ray dashboard: one long-lived httpx.AsyncClient, errors mapped to states."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
import zlib
from collections.abc import AsyncIterator, Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from sovtui import __version__
from sovtui.ray_api.auth import TokenLookup
from sovtui.ray_api.errors import (
    DashboardBadResponse,
    DashboardError,
    DashboardRejected,
    DashboardTimeout,
    DashboardTooLarge,
    DashboardUnauthorized,
    DashboardUnreachable,
)
from sovtui.ray_api.snapshot import ClusterSnapshot
from sovtui.support.background_import import import_off_loop

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
    from sovtui.ray_api.summary_parse import NodeMemo

ModelT = TypeVar("ModelT")
PathCheck = Callable[[str, "str | None"], "DashboardError | None"]

MIB = 1024 * 1024
# Bodies are read while streaming and refused past these sizes, so a hostile or broken server
# cannot make sovtui buffer without end. JSON answers: the largest real one, /nodes?view=summary,
# is ~10-25 KiB a node, so 32 MiB (the `max_response_mb` setting) fits ~1000 nodes while a
# refused endless body keeps `sovtui status` under 100 MB. Error bodies: only the start is kept.
DEFAULT_MAX_BYTES = 32 * MIB
# The per-node summary grows with the cluster (5,000 nodes: ~60-120 MiB), so it may be this many
# times the cap; the first request of every poll (/api/version) is tiny and capped small, so an
# endless body is still refused long before it gets there.
NODES_SUMMARY_FACTOR = 8
VERSION_MAX_BYTES = MIB
SNAPSHOT_THREAD_BYTES = 256 * 1024  # node summaries past this are parsed in a thread
ERROR_BODY_BYTES = 16 * 1024
LOG_MAX_BYTES = 128 * MIB  # a job's whole driver log, fetched as one JSON answer


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


def too_large(url: str, limit: int) -> DashboardTooLarge:
    size = f"{limit / MIB:g} MiB" if limit >= MIB else f"{limit / 1024:g} KiB"
    return DashboardTooLarge(f"answer too large (> {size}) from {url}")


async def _in_memory(response: httpx.Response) -> AsyncIterator[bytes]:
    yield response.content


def body_encoding(response: httpx.Response, url: str = "") -> str:
    """The answer's content coding: "identity" or "gzip" (which `read_capped` decodes); any
    other (sovtui asks for none other) is refused as a bad response."""
    encoding = response.headers.get("content-encoding", "").strip().lower() or "identity"
    if encoding == "x-gzip":
        return "gzip"
    if encoding not in ("identity", "gzip"):
        url = url or str(response.url)
        raise DashboardBadResponse(
            f"{url} answered with a {encoding}-compressed body although sovtui asked for gzip "
            "or none"
        )
    return encoding


def _gunzip(decoder: Any, chunk: bytes, room: int, url: str) -> bytes:
    """At most `room + 1` decoded bytes of `chunk`: one more than fits says "too large" without
    inflating the rest (a few KiB of gzip can hold gigabytes)."""
    try:
        return bytes(decoder.decompress(chunk, room + 1))
    except zlib.error as error:
        raise DashboardBadResponse(f"{url} answered a broken gzip body ({error})") from None


async def read_capped(
    response: httpx.Response, limit: int, *, url: str = "", truncate: bool = False
) -> bytes:
    """The body, read chunk by chunk and decoded when it came gzip-compressed: past `limit`
    bytes, as they arrive or as they decode (the cap bounds both), it is cut (`truncate`) or
    refused with DashboardTooLarge before the excess is ever held, whatever Content-Length
    says."""
    url = url or str(response.url)
    declared = response.headers.get("content-length", "")  # the bytes that arrive
    if not truncate and declared.isdigit() and int(declared) > limit:
        raise too_large(url, limit)
    chunks: list[bytes] = []
    size = 0  # decoded bytes kept
    arrived = 0
    # A response made whole in memory (tests' mock transports) has no stream left to read,
    # and httpx has decoded it already.
    whole = response.is_stream_consumed
    stream = _in_memory(response) if whole else response.aiter_raw()
    gzipped = not whole and body_encoding(response, url) == "gzip"
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None  # gzip framing
    async for raw in stream:
        arrived += len(raw)
        chunk = raw if decoder is None else _gunzip(decoder, raw, limit - size, url)
        if size + len(chunk) > limit or arrived > limit:
            if not truncate:
                raise too_large(url, limit)
            chunks.append(chunk[: max(0, limit - size)])
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    if decoder is not None and not decoder.eof and not truncate:
        raise DashboardBadResponse(f"{url} answered a gzip body that ends before its end")
    return b"".join(chunks)


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
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._timeout = timeout
        self.max_bytes = max_bytes
        self._clock = clock
        self._transport = transport
        self.address = normalise_address(address)
        self.token = token
        # Made on first use: httpx is a large import, and the TUI paints before it polls.
        self._http: httpx.AsyncClient | None = None
        self._version: VersionInfo | None = None
        # What the last node summary held, so the next poll searches and reads only what changed.
        self._node_memo: NodeMemo | None = None
        # The way to the dashboard when it is not direct (an ssh tunnel): called with the
        # address before each request (failure None) and after one failed to connect (with
        # the reason); a DashboardError it returns is raised instead ("tunnel down ...").
        self.path_check: PathCheck | None = None

    def _new_http(self) -> httpx.AsyncClient:
        _fail_fast_without_sniffio()
        import httpx

        # No browser-like headers: Ray only lets browser-looking requests GET.
        # identity by default: the streams (logs) are read raw; `request` asks for gzip, which
        # read_capped decodes within the size cap.
        headers = {
            "User-Agent": f"sovtui/{__version__}",
            "Accept": "application/json",
            "Accept-Encoding": "identity",
        }
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
        self._node_memo = None
        self._http = None
        if old is not None:
            await old.aclose()

    def _check_path(self, failure: str | None) -> None:
        if self.path_check is not None:
            problem = self.path_check(self.address, failure)
            if problem is not None:
                raise problem from None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    # -- transport and error mapping -------------------------------------------------------

    async def request(
        self, method: str, path: str, *, limit: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send one request and read its body (at most `limit` bytes, default `max_bytes`; 0:
        the body is not wanted). The whole exchange, body included, has one deadline: the
        request timeout, or `timeout=` for this request. Connection failures, time-outs, bodies
        too large and auth refusals become DashboardErrors."""
        self._check_path(None)
        http = await self.http()
        import httpx  # loaded by now

        url = f"{self.address}{path}"
        seconds = float(kwargs.get("timeout") or self._timeout)
        limit = self.max_bytes if limit is None else limit
        try:
            # httpx's timeouts are per read: a server dripping a byte a second never trips them.
            response = await asyncio.wait_for(
                self._exchange(http, method, path, limit, kwargs), seconds
            )
        except (TimeoutError, httpx.TimeoutException):
            self._check_path(f"no answer within {seconds:g} s")
            raise DashboardTimeout(f"{url} did not answer within {seconds:g} s") from None
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            self._check_path(reason)
            raise DashboardUnreachable(f"cannot reach {self.address}: {reason}") from None
        if response.status_code in (401, 403):
            status = response.status_code
            raise DashboardUnauthorized(self.token.refusal(self.address, status), status)
        return response

    async def _exchange(
        self, http: httpx.AsyncClient, method: str, path: str, limit: int, kwargs: dict[str, Any]
    ) -> httpx.Response:
        """Send, then stream the body into memory within its size cap."""
        import httpx

        # gzip: a proxy in front of the dashboard (or a later Ray) may compress; Ray 2.60's
        # aiohttp answers plain whatever is asked.
        request = http.build_request(method, path, **kwargs)
        request.headers["Accept-Encoding"] = "gzip"
        response = await http.send(request, stream=True)
        url = f"{self.address}{path}"
        try:
            body_encoding(response, url)  # an encoding sovtui did not ask for is refused
            if response.status_code >= 400:  # keep the start of an error body, drop the rest
                body = await read_capped(response, ERROR_BODY_BYTES, url=url, truncate=True)
            elif limit <= 0:
                body = b""
            else:
                body = await read_capped(response, limit, url=url)
        finally:
            await response.aclose()
        # The body is decoded: without its encoding and length, httpx does not decode it again.
        headers = response.headers.copy()
        for name in ("content-encoding", "content-length"):
            headers.pop(name, None)
        return httpx.Response(
            response.status_code, headers=headers, content=body, request=response.request
        )

    async def get_json(
        self, path: str, adapter: TypeAdapter[ModelT], *, limit: int | None = None, **params: Any
    ) -> ModelT:
        content = await self.get_bytes(path, limit=limit, **params)
        return (await _answers()).validate(adapter, content, f"{self.address}{path}")

    async def get_bytes(self, path: str, *, limit: int | None = None, **params: Any) -> bytes:
        """GET a JSON endpoint's raw body, mapping non-JSON answers to DashboardErrors."""
        response = await self.request("GET", path, limit=limit, params=params or None)
        url = f"{self.address}{path}"
        if response.status_code == 404:
            raise DashboardBadResponse(f"{url} answered 404 Not Found: is this a Ray dashboard?")
        if response.status_code >= 400:
            body = " ".join(response.text.split())[:300]  # one line, however the body is laid out
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
        info = await self.get_json("/api/version", answers.VERSION, limit=VERSION_MAX_BYTES)
        self._version = info
        return info

    async def cluster_status(self) -> ClusterStatusData:
        answers = await _answers()
        return (await self.get_json("/api/cluster_status", answers.STATUS)).data

    async def node_summaries(self) -> list[NodeSummary]:
        return (await self.node_summary_data()).summary

    async def node_summary_data(self) -> NodeSummaryData:
        answers = await _answers()
        content = await self._node_summary_body()
        return await answers.node_summary(content, f"{self.address}/nodes")

    async def _node_summary_body(self) -> bytes:
        limit = self.max_bytes * NODES_SUMMARY_FACTOR
        return await self.get_bytes("/nodes", limit=limit, view="summary")

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
            self.cluster_status(), self._node_summary_body(), self.jobs()
        )
        answers = await _answers()
        url = f"{self.address}/nodes"
        taken_at = self._clock()
        if self._node_memo is None:
            self._node_memo = answers.NodeMemo()
        memo = self._node_memo
        if len(summary) < SNAPSHOT_THREAD_BYTES:  # a few nodes: quicker than a thread hop
            return answers.snapshot_of(version, status, summary, jobs, taken_at, url, memo)
        # Thousands of nodes: parsing and building take ~30 us a node, off the event loop.
        return await asyncio.to_thread(
            answers.snapshot_of, version, status, summary, jobs, taken_at, url, memo
        )
