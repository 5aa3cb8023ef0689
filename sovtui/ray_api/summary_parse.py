"""Parse a large `/nodes?view=summary` body without freezing the UI.

A 1000-node summary is ~16 MB of JSON (each node carries long process command lines). Parsing
it in one call holds the GIL for ~50 ms, so a thread alone does not help. Instead the node array
is cut at element boundaries and each element is validated on its own call: in a thread
(`node_views`, what the client uses) the GIL changes hands between them, on the event loop
(`parse_incrementally`) it yields between batches. Any surprise in the layout falls back to one
whole parse: slower, never wrong.
"""

from __future__ import annotations

import asyncio

from pydantic import TypeAdapter, ValidationError

from sovtui.ray_api.models import Envelope, NodeSummary, NodeSummaryData
from sovtui.ray_api.snapshot import NodeView
from sovtui.support.gc_pause import gc_paused

WHOLE_PARSE_LIMIT = 512 * 1024  # below this a single parse is quick enough
_NODE = TypeAdapter(NodeSummary)
_LOGICAL = TypeAdapter(dict[str, str])
_SUMMARY = TypeAdapter(Envelope[NodeSummaryData])
# Ray writes each summary element with "now" as its first key.
_ELEMENT_START = b'{"now": '
_ARRAY_START = b'"summary": ['
_LOGICAL_KEY = b'"nodeLogicalResources": '


def parse_whole(content: bytes) -> NodeSummaryData:
    return _SUMMARY.validate_json(content).data


def _element_bounds(content: bytes) -> list[tuple[int, int]] | None:
    array = content.find(_ARRAY_START)
    if array < 0:
        return None
    starts: list[int] = []
    position = content.find(_ELEMENT_START, array)
    while position >= 0:
        starts.append(position)
        position = content.find(_ELEMENT_START, position + 1)
    logical = content.rfind(_LOGICAL_KEY)
    if not starts or logical < starts[-1]:
        return None
    last_end = content.rfind(b"]", starts[-1], logical)
    if last_end < 0:
        return None
    ends = [*starts[1:], last_end]
    return [
        (start, content.rfind(b"}", start, end) + 1)
        for start, end in zip(starts, ends, strict=True)
    ]


def _logical_resources(content: bytes) -> dict[str, str]:
    start = content.rfind(_LOGICAL_KEY) + len(_LOGICAL_KEY)
    end = content.find(b"}", start) + 1
    return _LOGICAL.validate_json(content[start:end])


async def parse_incrementally(content: bytes, batch: int = 50) -> NodeSummaryData:
    """Same result as `parse_whole`, in slices that each hold the GIL for a few ms, yielding
    to the event loop between batches of `batch` nodes."""
    if len(content) < WHOLE_PARSE_LIMIT:
        return parse_whole(content)
    bounds = _element_bounds(content)
    if bounds is None:
        return parse_whole(content)
    nodes: list[NodeSummary] = []
    try:
        for index, (start, end) in enumerate(bounds):
            nodes.append(_NODE.validate_json(content[start:end]))
            if index % batch == batch - 1:
                await asyncio.sleep(0)
        logical = _logical_resources(content)
    except ValidationError:
        return parse_whole(content)
    return NodeSummaryData(summary=nodes, node_logical_resources=logical)


def _view(element: bytes) -> NodeView:
    return NodeView.from_summary(_NODE.validate_json(element))


def node_views(content: bytes) -> tuple[list[NodeView], dict[str, str]]:
    """The nodes as NodeViews, with the logical-resource strings: one node parsed per call, for
    a thread, which then never holds the GIL for longer than one node's parse. Each node's
    model becomes its view at once, so the models die young: kept for the whole answer, 5,000
    nodes' models outlive the young generations and every poll pays full garbage collections
    of 100-200 ms (each a frozen frame)."""
    bounds = _element_bounds(content) if len(content) >= WHOLE_PARSE_LIMIT else None
    with gc_paused():
        if bounds is not None:
            try:
                views = [
                    NodeView.from_summary(_NODE.validate_json(content[a:b])) for a, b in bounds
                ]
                return views, _logical_resources(content)
            except ValidationError:
                pass  # the whole parse says what is wrong
        data = parse_whole(content)
        views = [NodeView.from_summary(node) for node in data.summary]
        return views, data.node_logical_resources
