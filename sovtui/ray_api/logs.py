"""Follow a job's driver log live: the `/logs/tail` WebSocket, with reconnects and a polling
fallback that never hands the same line on twice.

Ray's tail socket replays the log file from its start on every connection, in batches of up to
ten lines about once a second, and the server closes it once the job has ended and the file is
read to the end. `GET /logs` reads the same file the same way (text mode). So the number of
characters already handed on is a position valid for both: a new connection, or a poll, skips
exactly that many and continues.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable

import httpx
from httpcore import AsyncNetworkStream
from httpx_ws import (
    AsyncWebSocketSession,
    WebSocketDisconnect,
    WebSocketUpgradeError,
    aconnect_ws,
)

from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.errors import (
    DashboardError,
    DashboardRejected,
    DashboardUnauthorized,
    ray_reason,
)
from sovtui.ray_api.jobs import JobNotFound, JobsApi

LinesCallback = Callable[[list[str]], Awaitable[None] | None]

# Ray sends up to ~20000 characters per message; leave room for multi-byte UTF-8.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class _ConnectionLost(Exception):
    """The socket failed mid-stream (as opposed to the server closing it)."""


def _root_cause(error: BaseException) -> BaseException:
    """anyio wraps errors leaving a WebSocket session in exception groups; find the real one."""
    while isinstance(getattr(error, "exceptions", None), tuple) and error.exceptions:  # type: ignore[attr-defined]
        inner = [e for e in error.exceptions if not isinstance(e, asyncio.CancelledError)]  # type: ignore[attr-defined]
        error = inner[0] if inner else error.exceptions[0]  # type: ignore[attr-defined]
    return error


class LogTail:
    """Follows one job's log. `follow(on_lines)` returns when the job has ended and every line
    has been handed to `on_lines` exactly once (a trailing line without newline comes last)."""

    def __init__(
        self,
        client: DashboardClient,
        job_id: str,
        *,
        poll_s: float = 1.0,
        max_reconnects: int = 3,
        jobs: JobsApi | None = None,
    ) -> None:
        self.client = client
        self.job_id = job_id
        self.poll_s = poll_s
        self.max_reconnects = max_reconnects
        self.jobs = jobs or JobsApi(client)
        self.delivered = 0  # characters consumed from the log, pending partial line included
        self.reconnects = 0
        self.mode = "websocket"
        self._pending = ""
        self._on_lines: LinesCallback | None = None
        self._stream: AsyncNetworkStream | None = None

    # -- line bookkeeping ------------------------------------------------------------------

    async def _emit(self, lines: list[str]) -> None:
        if lines and self._on_lines is not None:
            result = self._on_lines(lines)
            if inspect.isawaitable(result):
                await result

    async def _feed(self, text: str) -> None:
        """New log text (never seen before) -> complete lines to the callback."""
        if not text:
            return
        self.delivered += len(text)
        parts = (self._pending + text).split("\n")
        self._pending = parts.pop()
        await self._emit(parts)

    async def _feed_from(self, text: str, start: int) -> None:
        """`text` sits at character `start` of the log: pass on only the part not yet seen."""
        end = start + len(text)
        if end > self.delivered:
            await self._feed(text[max(0, self.delivered - start) :])

    async def _flush(self) -> None:
        if self._pending:
            last, self._pending = self._pending, ""
            await self._emit([last])

    # -- transports ------------------------------------------------------------------------

    async def drop(self) -> None:
        """Cut the current socket as a network failure would (used by tests and 'reconnect')."""
        stream = self._stream
        if stream is not None:
            await stream.aclose()

    async def _follow_socket(self) -> None:
        """One connection: returns when the server closes it, raises _ConnectionLost on failure."""
        position = 0
        try:
            async with aconnect_ws(
                f"/api/jobs/{self.job_id}/logs/tail",
                await self.client.http(),
                max_message_size_bytes=MAX_MESSAGE_BYTES,
                session_class=AsyncWebSocketSession,
            ) as ws:
                self._stream = ws.stream
                while True:
                    try:
                        text = await ws.receive_text()
                    except WebSocketDisconnect:
                        return
                    await self._feed_from(text, position)
                    position += len(text)
        except WebSocketUpgradeError as error:
            response = error.response
            if response.status_code in (401, 403):
                raise DashboardUnauthorized(
                    self.client.token.refusal(self.client.address, response.status_code),
                    response.status_code,
                ) from None
            if response.status_code == 404:
                raise JobNotFound(
                    f"no job {self.job_id!r} on {self.client.address}", 404, ""
                ) from None
            raise DashboardRejected(
                f"log tail for {self.job_id} refused (HTTP {response.status_code})",
                response.status_code,
                "",
            ) from None
        except (DashboardError, asyncio.CancelledError):
            raise
        except Exception as error:
            cause = _root_cause(error)
            if isinstance(cause, DashboardError):
                raise cause from None
            if isinstance(cause, WebSocketDisconnect):
                return
            if isinstance(cause, httpx.HTTPStatusError | WebSocketUpgradeError):
                raise DashboardRejected(ray_reason(str(cause)), 0, "") from None
            raise _ConnectionLost(f"{type(cause).__name__}: {cause}") from None
        finally:
            self._stream = None

    async def _finish_from_full_log(self) -> None:
        """The job has ended: whatever the socket did not deliver is in the full log."""
        text = await self.jobs.logs(self.job_id)
        await self._feed_from(text, 0)
        await self._flush()

    async def _poll(self) -> None:
        self.mode = "polling"
        while True:
            # Status before logs: if the job had ended, the log read after it is complete.
            ended = (await self.jobs.job(self.job_id)).is_terminal
            text = await self.jobs.logs(self.job_id)
            await self._feed_from(text, 0)
            if ended:
                await self._flush()
                return
            await asyncio.sleep(self.poll_s)

    async def follow(self, on_lines: LinesCallback) -> None:
        self._on_lines = on_lines
        failures = 0
        while self.mode == "websocket":
            before = self.delivered
            with contextlib.suppress(_ConnectionLost):
                await self._follow_socket()
            if (await self.jobs.job(self.job_id)).is_terminal:
                await self._finish_from_full_log()
                return
            # The socket ended while the job runs: reconnect, and give up on sockets (a proxy
            # that drops them, say) after several attempts in a row that brought nothing new.
            failures = 0 if self.delivered > before else failures + 1
            self.reconnects += 1
            if failures > self.max_reconnects:
                break
            await asyncio.sleep(min(self.poll_s, 1.0))
        await self._poll()

    async def collect(self) -> list[str]:
        """Every line until the job ends (for tests and `logs --follow` into a pipe)."""
        lines: list[str] = []
        await self.follow(lines.extend)
        return lines


async def follow_logs(client: DashboardClient, job_id: str, on_lines: LinesCallback) -> LogTail:
    tail = LogTail(client, job_id)
    await tail.follow(on_lines)
    return tail
