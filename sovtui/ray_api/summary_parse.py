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
_NODES = TypeAdapter(list[NodeSummary])
_LOGICAL = TypeAdapter(dict[str, str])
_SUMMARY = TypeAdapter(Envelope[NodeSummaryData])
# Ray writes each alive node with "now" as its first key.
_ELEMENT_START = b'{"now": '
_ARRAY_START = b'"summary": ['
_LOGICAL_KEY = b'"nodeLogicalResources": '


def parse_whole(content: bytes) -> NodeSummaryData:
    return _SUMMARY.validate_json(content).data


def _logical_resources(content: bytes) -> dict[str, str]:
    start = content.rfind(_LOGICAL_KEY) + len(_LOGICAL_KEY)
    end = content.find(b"}", start) + 1
    return _LOGICAL.validate_json(content[start:end])


# Three quarters of an element's bytes are members no model reads: the agent's and the raylet's
# process records (`agent`, ~5 KB; `cmdline`, ~6 KB) and the GCS's (`gcs`, head only, ~1.4
# KB). Ray 2.60 writes an alive node as `{"now": ..., "raylet": {...}, "agent": {...},
# "bootTime": ..., "cmdline": [...], "gcs": ...}` (a node without an agent, a dead one, as
# `{"raylet": {...}}`); each node is validated without them, which halves the parse.
#
# Why a byte search finds the real members: inside a JSON string every `"` is escaped (`\"`),
# so a pattern holding a `"` after any other byte only matches the document's own structure:
# the key `"agent"` followed by an object, and so on. A match could still be a key of some
# nested object; then the region cut is not whole values, the rest is not valid JSON, and the
# whole answer is parsed instead (slower, never wrong). Only an object nested before the
# node's agent that holds both an `"agent"` object and later a `"bootTime"` after an object
# could be cut wrongly: no Ray answer has one. A Ray that moved a member sovtui reads behind
# `cmdline` or `gcs` would lose it: the tests compare the cut parse of a recorded answer with
# the whole parse.
_AGENT = b', "agent": {'
_AFTER_AGENT = b'}, "bootTime": '
_CMDLINE = b', "cmdline": ['
_GCS = b'], "gcs": '
_NO_AGENT_NODE = b'{"raylet": '


def _cut(content: bytes, start: int, found: tuple[int, int, int], end: int) -> bytes:
    """`content[start:end]` (an alive node and any nodes without an agent after it) without
    the alive node's agent, cmdline and gcs, given where `_AGENT`, `_AFTER_AGENT` and
    `_CMDLINE` matched (-1: not found)."""
    agent, after, cmdline = found
    if cmdline < 0 or cmdline > end:  # not the layout expected: whole (its parse tells)
        return content[start:end]
    kept = content[start:agent] + content[after + 1 : cmdline]
    if content[end - 2 : end] == b"]}":  # the command line ends the node
        return kept + b"}"
    gcs = content.rfind(_GCS, cmdline, end)
    if gcs < 0:
        return kept + content[cmdline:end]
    if content.find(_NO_AGENT_NODE, gcs, end) >= 0:  # then where the gcs record ends is unknown
        return kept + content[gcs + 1 : end]
    return kept + b"}"


def node_chunks(content: bytes) -> list[bytes] | None:
    """The node array as small JSON arrays: each alive node (with any nodes without an agent
    that follow it) without the members no model reads, plus the nodes without an agent before
    the first alive one; None when the answer is not laid out as expected. One pass over the
    bytes: each search starts where the last one ended."""
    array = content.find(_ARRAY_START)
    logical = content.rfind(_LOGICAL_KEY)
    if array < 0 or logical < array:
        return None
    array += len(_ARRAY_START)
    array_end = content.rfind(b"]", array, logical)
    if array_end < 0:
        return None
    chunks: list[bytes] = []
    start = content.find(_ELEMENT_START, array, array_end)
    before = content.rfind(b"}", array, start if start >= 0 else array_end)
    if before >= 0:
        chunks.append(b"[" + content[array : before + 1] + b"]")
    while start >= 0:
        agent = content.find(_AGENT, start, array_end)
        after = content.find(_AFTER_AGENT, agent, array_end) if agent >= 0 else -1
        cmdline = content.find(_CMDLINE, after, array_end) if after >= 0 else -1
        following = content.find(_ELEMENT_START, max(start, cmdline) + 1, array_end)
        end = content.rfind(b"}", start, following if following >= 0 else array_end) + 1
        chunks.append(b"[" + _cut(content, start, (agent, after, cmdline), end) + b"]")
        start = following
    return chunks


async def parse_incrementally(content: bytes, batch: int = 50) -> NodeSummaryData:
    """Same result as `parse_whole`, in slices that each hold the GIL for a few ms, yielding
    to the event loop between batches of `batch` nodes."""
    chunks = node_chunks(content) if len(content) >= WHOLE_PARSE_LIMIT else None
    if chunks is None:
        return parse_whole(content)
    nodes: list[NodeSummary] = []
    try:
        for index, chunk in enumerate(chunks):
            nodes += _NODES.validate_json(chunk)
            if index % batch == batch - 1:
                await asyncio.sleep(0)
        logical = _logical_resources(content)
    except ValidationError:
        return parse_whole(content)
    return NodeSummaryData(summary=nodes, node_logical_resources=logical)


def node_views(content: bytes) -> tuple[list[NodeView], dict[str, str]]:
    """The nodes as NodeViews, with the logical-resource strings: one node parsed per call, for
    a thread, which then never holds the GIL for longer than one node's parse. Each node's
    model becomes its view at once, so the models die young: kept for the whole answer, 5,000
    nodes' models outlive the young generations and every poll pays full garbage collections
    of 100-200 ms (each a frozen frame)."""
    chunks = node_chunks(content) if len(content) >= WHOLE_PARSE_LIMIT else None
    with gc_paused():
        if chunks is not None:
            try:
                validate, view = _NODES.validate_json, NodeView.from_summary
                views = [view(node) for chunk in chunks for node in validate(chunk)]
                return views, _logical_resources(content)
            except ValidationError:
                pass  # the whole parse says what is wrong
        data = parse_whole(content)
        views = [NodeView.from_summary(node) for node in data.summary]
        return views, data.node_logical_resources
