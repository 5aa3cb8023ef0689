"""Save a whole log file (a job's driver log, any file of a node) to a private file, streamed:
never held in memory, never decoded, so the file is the log byte for byte (ESC, `\\r` progress
bars and bytes that are not UTF-8 included).

Ray 2.60 serves the raw file at `GET /api/v0/logs/file?node_id=N&submission_id=S&lines=-1`
(verified against a live head): `node_id` is required even with `submission_id` (it must be
the job's `driver_node_id`), and `lines=0` means Ray's default of the *last 1000 lines*, not the
whole file: only `-1` reads all of it. `timeout` bounds Ray's own read from the node's agent
(30 s by default), which a large log needs longer than. The JSON `/api/jobs/{id}/logs` that the
Job screen reads is no substitute: Ray reads the file in text mode there, so `\\r` turns into
`\\n` and a single byte that is not UTF-8 makes it answer 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sovtui.ray_api.client import ERROR_BODY_BYTES, MIB, DashboardClient, read_capped
from sovtui.ray_api.errors import (
    DashboardBadResponse,
    DashboardError,
    DashboardTimeout,
    DashboardTooLarge,
    DashboardUnauthorized,
    DashboardUnreachable,
    rejected,
)
from sovtui.ray_api.jobs import JobNotFound, JobsApi

if TYPE_CHECKING:
    import httpx

GIB = 1024 * MIB
# Explicit and separate from the 128 MiB cap of the JSON log answer: a saved log is written to
# disk as it arrives, so only the disk bounds it. Callers pass their own `max_bytes`.
LOG_SAVE_MAX_BYTES = 2 * GIB
# One deadline for the whole download: 2 GiB through an SSH tunnel at a few MB/s takes minutes.
LOG_SAVE_DEADLINE_S = 1800.0
# Longest silence between two chunks (Ray resolves the file and asks the node's agent first).
LOG_SAVE_IDLE_S = 60.0
WRITE_BATCH_BYTES = 1 * MIB  # chunks are gathered to this size, then written off the event loop


@dataclass(frozen=True)
class SavedLog:
    path: Path
    size: int  # bytes written
    lines: int  # newline-terminated lines, plus a last line without one


def _size(limit: int) -> str:
    if limit >= GIB:
        return f"{limit / GIB:g} GiB"
    return f"{limit / MIB:g} MiB" if limit % MIB == 0 else f"{limit:,} bytes"


def _create_private(path: Path) -> int:
    """A new file only the operator can read (job logs can hold secrets); never an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


async def driver_log_location(jobs: JobsApi, job_id: str) -> tuple[str, str]:
    """(submission id, driver node id) of a job, which Ray needs to find its log file."""
    details = await jobs.job(job_id)
    if not details.submission_id:
        raise DashboardBadResponse(
            f"job {job_id} was not submitted through the Jobs API: Ray keeps no driver log "
            "file for it"
        )
    if not details.driver_node_id:
        raise DashboardBadResponse(
            f"job {job_id} has no driver node yet (status {details.status}): no log to save"
        )
    return details.submission_id, details.driver_node_id


async def save_driver_log(
    client: DashboardClient,
    job_id: str,
    path: Path,
    *,
    max_bytes: int = LOG_SAVE_MAX_BYTES,
    deadline_s: float = LOG_SAVE_DEADLINE_S,
    idle_s: float = LOG_SAVE_IDLE_S,
    jobs: JobsApi | None = None,
) -> SavedLog:
    """Stream the job's whole driver log (so far) into a new 0600 file at `path` (see
    `save_log_file`)."""
    jobs = jobs or JobsApi(client)
    submission_id, node_id = await driver_log_location(jobs, job_id)
    params = {"node_id": node_id, "submission_id": submission_id}
    return await save_log_file(
        client,
        params,
        f"the log of {job_id}",
        path,
        max_bytes=max_bytes,
        deadline_s=deadline_s,
        idle_s=idle_s,
        not_found=lambda body: JobNotFound(
            f"no log for job {job_id!r} on {client.address}", 404, body
        ),
    )


async def save_node_log(
    client: DashboardClient,
    node_id: str,
    filename: str,
    path: Path,
    *,
    max_bytes: int = LOG_SAVE_MAX_BYTES,
    deadline_s: float = LOG_SAVE_DEADLINE_S,
    idle_s: float = LOG_SAVE_IDLE_S,
) -> SavedLog:
    """Stream one whole log file of a node into a new 0600 file at `path` (see
    `save_log_file`)."""
    return await save_log_file(
        client,
        {"node_id": node_id, "filename": filename},
        f"the log {filename} of node {node_id}",
        path,
        max_bytes=max_bytes,
        deadline_s=deadline_s,
        idle_s=idle_s,
    )


async def save_log_file(
    client: DashboardClient,
    params: dict[str, str],
    what: str,
    path: Path,
    *,
    max_bytes: int = LOG_SAVE_MAX_BYTES,
    deadline_s: float = LOG_SAVE_DEADLINE_S,
    idle_s: float = LOG_SAVE_IDLE_S,
    not_found: Callable[[str], DashboardError] | None = None,
) -> SavedLog:
    """Stream the whole log file that `params` name (`/api/v0/logs/file`, with `lines=-1`)
    into a new 0600 file at `path`; `what` names it in errors ("the log of ...").

    The bytes go to `path` + `.part` as they arrive, renamed to `path` once complete; on any
    failure (refusal, lost connection, past `max_bytes`, past `deadline_s`, cancellation) the
    partial file is removed and a DashboardError (or the cancellation) is raised.
    """
    import httpx  # the Job screen has loaded it already (the log tail)

    part = path.with_name(path.name + ".part")
    fd = await asyncio.to_thread(_create_private, part)
    done = False
    try:
        try:
            size, lines = await asyncio.wait_for(
                _download(client, params, what, fd, max_bytes, deadline_s, idle_s, not_found),
                deadline_s,
            )
        except (TimeoutError, httpx.TimeoutException):
            raise DashboardTimeout(f"{what} did not arrive within {deadline_s:g} s") from None
        except httpx.TransportError as error:
            reason = str(error) or type(error).__name__
            raise DashboardUnreachable(
                f"{what} stopped arriving from {client.address}: {reason}"
            ) from None
        except httpx.HTTPError as error:
            reason = str(error) or type(error).__name__
            raise DashboardBadResponse(f"{what} could not be read: {reason}") from None
        await asyncio.to_thread(os.fsync, fd)
        os.close(fd)
        fd = -1
        await asyncio.to_thread(os.replace, part, path)
        done = True
        return SavedLog(path, size, lines)
    finally:
        if fd >= 0:
            os.close(fd)
        if not done:
            with contextlib.suppress(OSError):
                part.unlink()


async def _download(
    client: DashboardClient,
    params: dict[str, str],
    what: str,
    fd: int,
    max_bytes: int,
    deadline_s: float,
    idle_s: float,
    not_found: Callable[[str], DashboardError] | None,
) -> tuple[int, int]:
    import httpx

    http = await client.http()
    params = {
        **params,
        "lines": "-1",  # the whole file (0 would be Ray's default: the last 1000 lines)
        "timeout": str(max(30, int(deadline_s))),  # Ray's own read from the node's agent
    }
    timeout = httpx.Timeout(idle_s, connect=min(idle_s, 3.0))
    request = http.build_request("GET", "/api/v0/logs/file", params=params, timeout=timeout)
    response = await http.send(request, stream=True)
    try:
        _check(client, response, what)
        if response.status_code >= 400:
            body = (await read_capped(response, ERROR_BODY_BYTES, truncate=True)).decode(
                "utf-8", "replace"
            )
            if response.status_code == 404 and not_found is not None:
                raise not_found(body)
            raise rejected(f"saving {what}", response.status_code, body)
        return await _write_stream(response, fd, max_bytes, what)
    finally:
        await response.aclose()


def _check(client: DashboardClient, response: httpx.Response, what: str) -> None:
    if response.status_code in (401, 403):
        status = response.status_code
        raise DashboardUnauthorized(client.token.refusal(client.address, status), status)
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise DashboardBadResponse(
            f"{what} came {encoding}-compressed although sovtui asked for none"
        )


async def _whole(response: httpx.Response) -> AsyncIterator[bytes]:
    yield response.content


async def _write_stream(
    response: httpx.Response, fd: int, max_bytes: int, what: str
) -> tuple[int, int]:
    size = 0
    newlines = 0
    last = b""
    batch: list[bytes] = []
    batched = 0
    # A response made whole in memory (tests' mock transports) has no stream left to read.
    stream = _whole(response) if response.is_stream_consumed else response.aiter_raw()
    async for chunk in stream:
        if not chunk:
            continue
        size += len(chunk)
        if size > max_bytes:
            raise DashboardTooLarge(
                f"{what} is larger than {_size(max_bytes)} (the save limit): nothing saved"
            )
        newlines += chunk.count(b"\n")
        last = chunk[-1:]
        batch.append(chunk)
        batched += len(chunk)
        if batched >= WRITE_BATCH_BYTES:
            await asyncio.to_thread(_write_all, fd, b"".join(batch))
            batch, batched = [], 0
    if batch:
        await asyncio.to_thread(_write_all, fd, b"".join(batch))
    return size, newlines + (size > 0 and last != b"\n")
