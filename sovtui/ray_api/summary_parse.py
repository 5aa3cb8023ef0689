"""Parse a large `/nodes?view=summary` body without freezing the UI, and without reading what
no model uses.

A 1000-node summary is ~16 MB of JSON (each node carries long process command lines). Parsing
it in one call holds the GIL for ~50 ms, so a thread alone does not help. Instead the node array
is cut at element boundaries and a few nodes are validated per call: in a thread (`node_views`,
what the client uses) the GIL changes hands between them, on the event loop
(`parse_incrementally`) it yields between batches. Any surprise in the layout falls back to one
whole parse: slower, never wrong.

Three quarters of a node's bytes are members no model reads: the agent's and the raylet's
process records (`agent`, ~5 KB; `cmdline`, ~6 KB) and the GCS's (`gcs`, head only, ~1.4 KB).
Ray 2.60 writes an alive node as `{"now": ..., "raylet": {...}, "agent": {...}, "bootTime":
..., "cmdline": [...], "gcs": ...}` (a node without an agent, a dead one, as `{"raylet":
{...}}`); each node is validated without them.

Why a byte search finds the real members: inside a JSON string every `"` is escaped (`\\"`),
so a pattern holding a `"` after any other byte only matches the document's own structure:
the key `"agent"` followed by an object, and so on. A match could still be a key of some
nested object; then the region cut is not whole values, what is left is not valid JSON, and
the whole answer is parsed instead. Only an object nested before the node's agent that holds
both an `"agent"` object and later a `"bootTime"` after an object could be cut wrongly: no Ray
answer has one. A Ray that moved a member sovtui reads behind `cmdline` or `gcs` would lose
it: the tests compare the cut parse of a recorded answer with the whole parse.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pydantic import TypeAdapter, ValidationError

from sovtui.ray_api.models import (
    Envelope,
    NodeMetrics,
    NodeSummary,
    NodeSummaryData,
    RayletInfo,
)
from sovtui.ray_api.snapshot import NodeView, RayletPart
from sovtui.support.gc_pause import gc_paused

WHOLE_PARSE_LIMIT = 512 * 1024  # below this a single parse is quick enough
BATCH = 16  # nodes per validation call: the call's own cost shared, the GIL held < 1 ms
_NODE = TypeAdapter(NodeSummary)
_NODES = TypeAdapter(list[NodeSummary])
_METRICS = TypeAdapter(list[NodeMetrics])
_RAYLET_INFO = TypeAdapter(RayletInfo)
_LOGICAL = TypeAdapter(dict[str, str])
_SUMMARY = TypeAdapter(Envelope[NodeSummaryData])
# Ray writes each alive node with "now" as its first key.
_ELEMENT_START = b'{"now": '
_ARRAY_START = b'"summary": ['
_LOGICAL_KEY = b'"nodeLogicalResources": '
_RAYLET = b', "raylet": '
_AGENT = b', "agent": {'
_AFTER_AGENT = b'}, "bootTime": '
_CMDLINE = b', "cmdline": ['
_GCS = b'], "gcs": '
_NO_AGENT_NODE = b'{"raylet": '


def parse_whole(content: bytes) -> NodeSummaryData:
    return _SUMMARY.validate_json(content).data


def _logical_resources(content: bytes) -> dict[str, str]:
    start = content.rfind(_LOGICAL_KEY) + len(_LOGICAL_KEY)
    end = content.find(b"}", start) + 1
    return _LOGICAL.validate_json(content[start:end])


@dataclass(frozen=True, slots=True)
class Node:
    """One alive node laid out as expected: its members besides the raylet, as pieces that
    join into one JSON object, and its raylet member's bytes."""

    metrics: tuple[memoryview | bytes, ...]
    raylet: bytes

    def whole(self) -> bytes:
        """The node (without the members no model reads) as one JSON object."""
        before, *after = self.metrics
        return b"".join((before, _RAYLET, self.raylet, *after))


@dataclass(frozen=True, slots=True)
class Nodes:
    """A JSON array of nodes read with the whole model: an alive node with the nodes without
    an agent that follow it, those before the first alive node, or a node whose layout
    surprised the search."""

    content: bytes


Piece = Node | Nodes


def _piece(
    content: bytes, view: memoryview, start: int, found: tuple[int, int, int], end: int
) -> Piece:
    """`content[start:end]` (an alive node and any nodes without an agent after it) without
    the alive node's agent, cmdline and gcs, given where `_AGENT`, `_AFTER_AGENT` and
    `_CMDLINE` matched (-1: not found)."""
    agent, after, cmdline = found
    if cmdline < 0 or cmdline > end:  # not the layout expected: whole (its parse tells)
        return Nodes(b"[" + content[start:end] + b"]")
    middle = view[after + 1 : cmdline]
    if content[end - 2 : end] == b"]}":  # the command line ends the node
        tail = b"}"
    else:
        gcs = content.rfind(_GCS, cmdline, end)
        # No gcs member, or a node without an agent after it (then where gcs ends is unknown).
        if gcs < 0 or content.find(_NO_AGENT_NODE, gcs, end) >= 0:
            rest = content[cmdline:end] if gcs < 0 else content[gcs + 1 : end]
            return Nodes(b"".join((b"[", view[start:agent], middle, rest, b"]")))
        tail = b"}"
    raylet = content.find(_RAYLET, start, agent)
    if raylet < 0:
        return Nodes(b"".join((b"[", view[start:agent], middle, tail, b"]")))
    return Node((view[start:raylet], middle, tail), content[raylet + len(_RAYLET) : agent])


def node_pieces(content: bytes) -> list[Piece] | None:
    """The node array in pieces, in order, without the members no model reads; None when the
    answer is not laid out as expected. One pass over the bytes: each search starts where the
    last one ended."""
    array = content.find(_ARRAY_START)
    logical = content.rfind(_LOGICAL_KEY)
    if array < 0 or logical < array:
        return None
    array += len(_ARRAY_START)
    array_end = content.rfind(b"]", array, logical)
    if array_end < 0:
        return None
    view = memoryview(content)
    pieces: list[Piece] = []
    start = content.find(_ELEMENT_START, array, array_end)
    before = content.rfind(b"}", array, start if start >= 0 else array_end)
    if before >= 0:
        pieces.append(Nodes(b"[" + content[array : before + 1] + b"]"))
    while start >= 0:
        agent = content.find(_AGENT, start, array_end)
        after = content.find(_AFTER_AGENT, agent, array_end) if agent >= 0 else -1
        cmdline = content.find(_CMDLINE, after, array_end) if after >= 0 else -1
        following = content.find(_ELEMENT_START, max(start, cmdline) + 1, array_end)
        end = content.rfind(b"}", start, following if following >= 0 else array_end) + 1
        pieces.append(_piece(content, view, start, (agent, after, cmdline), end))
        start = following
    return pieces


@dataclass
class RayletMemo:
    """The last poll's raylet members (bytes) and what their nodes' views took from them, by
    position in the array (Ray keeps its nodes in order). A member equal to the one at the same
    place last time is not read again: exact bytes compared, so never a stale value."""

    known: list[tuple[bytes, RayletPart]] = field(default_factory=list)

    def part(self, index: int, raylet: bytes, fresh: list[tuple[bytes, RayletPart]]) -> RayletPart:
        known = self.known
        if index < len(known) and known[index][0] == raylet:
            part = known[index][1]
        else:
            part = RayletPart.of(_RAYLET_INFO.validate_json(raylet))
        fresh.append((raylet, part))
        return part


def _batches(pieces: list[Piece]) -> list[list[Node] | Nodes]:
    """Runs of up to BATCH alive nodes (validated in one call), and the pieces read whole."""
    batches: list[list[Node] | Nodes] = []
    run: list[Node] = []
    for piece in pieces:
        if isinstance(piece, Node):
            run.append(piece)
            if len(run) == BATCH:
                batches.append(run)
                run = []
        else:
            if run:
                batches.append(run)
                run = []
            batches.append(piece)
    if run:
        batches.append(run)
    return batches


def _views(pieces: list[Piece], memo: RayletMemo) -> list[NodeView]:
    views: list[NodeView] = []
    fresh: list[tuple[bytes, RayletPart]] = []
    for batch in _batches(pieces):
        if isinstance(batch, Nodes):
            views += [NodeView.from_summary(node) for node in _NODES.validate_json(batch.content)]
            continue
        joined: list[memoryview | bytes] = [b"["]
        for node in batch:
            joined += node.metrics
            joined.append(b", ")
        joined[-1] = b"]"
        metrics = _METRICS.validate_json(b"".join(joined))
        for node, summary in zip(batch, metrics, strict=True):
            views.append(NodeView.from_parts(summary, memo.part(len(fresh), node.raylet, fresh)))
    memo.known = fresh
    return views


async def parse_incrementally(content: bytes, batch: int = 50) -> NodeSummaryData:
    """Same result as `parse_whole`, in slices that each hold the GIL for a few ms, yielding
    to the event loop between batches of `batch` nodes."""
    pieces = node_pieces(content) if len(content) >= WHOLE_PARSE_LIMIT else None
    if pieces is None:
        return parse_whole(content)
    nodes: list[NodeSummary] = []
    try:
        for index, piece in enumerate(pieces):
            if isinstance(piece, Nodes):
                nodes += _NODES.validate_json(piece.content)
            else:
                nodes.append(_NODE.validate_json(piece.whole()))
            if index % batch == batch - 1:
                await asyncio.sleep(0)
        logical = _logical_resources(content)
    except ValidationError:
        return parse_whole(content)
    return NodeSummaryData(summary=nodes, node_logical_resources=logical)


def node_views(
    content: bytes, memo: RayletMemo | None = None
) -> tuple[list[NodeView], dict[str, str]]:
    """The nodes as NodeViews, with the logical-resource strings: a few nodes parsed per call,
    for a thread, which then never holds the GIL for long. `memo` (the caller's, kept between
    polls) saves reading again the raylet members that did not change. Each node's model
    becomes its view at once, so the models die young: kept for the whole answer, 5,000
    nodes' models outlive the young generations and every poll pays full garbage collections
    of 100-200 ms (each a frozen frame)."""
    pieces = node_pieces(content) if len(content) >= WHOLE_PARSE_LIMIT else None
    with gc_paused():
        if pieces is not None:
            try:
                views = _views(pieces, memo if memo is not None else RayletMemo())
                return views, _logical_resources(content)
            except ValidationError:
                pass  # the whole parse says what is wrong
        data = parse_whole(content)
        views = [NodeView.from_summary(node) for node in data.summary]
        return views, data.node_logical_resources
