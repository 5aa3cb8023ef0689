"""The dashboard's answers validated into the pydantic models.

Imported with the first answer, not with the client: the models and pydantic's schema
building stay off the start-up path, so the TUI paints before either loads.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from sovtui.ray_api.errors import bad_answer
from sovtui.ray_api.models import (
    ClusterStatusData,
    Envelope,
    JobDetails,
    NodeSummaryData,
    StateListData,
    VersionInfo,
)
from sovtui.ray_api.snapshot import ClusterSnapshot, snapshot_from_views
from sovtui.ray_api.summary_parse import NodeMemo, node_views, parse_incrementally

ModelT = TypeVar("ModelT")

VERSION = TypeAdapter(VersionInfo)
JOBS = TypeAdapter(list[JobDetails])
STATUS = TypeAdapter(Envelope[ClusterStatusData])
STATE_NODES = TypeAdapter(Envelope[StateListData])


def validate(adapter: TypeAdapter[ModelT], content: bytes, url: str) -> ModelT:
    try:
        return adapter.validate_json(content)
    except ValidationError as exc:
        raise bad_answer(url, exc) from None


async def node_summary(content: bytes, url: str) -> NodeSummaryData:
    try:
        return await parse_incrementally(content)
    except ValidationError as exc:
        raise bad_answer(url, exc) from None


def snapshot_of(
    version: VersionInfo,
    status: ClusterStatusData,
    summary: bytes,
    jobs: list[JobDetails],
    taken_at: float,
    url: str,
    memo: NodeMemo | None = None,
) -> ClusterSnapshot:
    """Parse the node summaries and build the snapshot: all of it plain Python or one short
    parse per node, so run in a thread it never holds the GIL long (5,000 nodes: ~80 MB of
    JSON and ~0.2 s of work that would otherwise freeze the event loop). `memo`: the client's
    nodes of the last poll (see `NodeMemo`)."""
    try:
        views, logical = node_views(summary, memo)
    except ValidationError as exc:
        raise bad_answer(url, exc) from None
    return snapshot_from_views(version, status, views, jobs, taken_at, logical)
