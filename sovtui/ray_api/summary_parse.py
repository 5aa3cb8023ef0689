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
..., "cmdline": [...], "gcs": ...}`; each node is validated without them. A node with no agent
report (a dead one: `{"raylet": {...}}` by Ray's source, not seen in a recording) is read whole
with the alive node before it. Between polls, `NodeMemo` skips the raylet member and the command
line of each node while their bytes are unchanged (on idle nodes they are).

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
_RAYLETS = TypeAdapter(list[RayletInfo])
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
_NEXT_NODE = b', {"now": '


def parse_whole(content: bytes) -> NodeSummaryData:
    return _SUMMARY.validate_json(content).data


def _logical_resources(content: bytes) -> dict[str, str]:
    start = content.rfind(_LOGICAL_KEY) + len(_LOGICAL_KEY)
    end = content.find(b"}", start) + 1
    return _LOGICAL.validate_json(content[start:end])


@dataclass(slots=True)
class Known:
    """What the last poll found of one alive node: its raylet member's bytes, what its view
    took from them (None until read), and its tail (from `"cmdline"` to the node's end, all
    cut)."""

    raylet: bytes
    part: RayletPart | None
    tail: bytes


@dataclass
class NodeMemo:
    """The last poll's alive nodes by position (Ray keeps its nodes in order). A node whose
    raylet member or tail is byte for byte what it was at the same place is neither searched
    nor read again there: an idle node's raylet member stays the same poll after poll (only the
    agent's members change) and a worker's command line always does. Exact bytes compared, so
    never a stale value; a node that moved is only slower."""

    known: list[Known | None] = field(default_factory=list)
    pending: list[Known | None] = field(default_factory=list)  # this poll's, until it is read


@dataclass(frozen=True, slots=True)
class Node:
    """One alive node laid out as expected: its members besides the raylet, as pieces that
    join into one JSON object, and what is known of it (its raylet member's bytes...)."""

    metrics: tuple[memoryview | bytes, ...]
    known: Known

    def whole(self) -> bytes:
        """The node (without the members no model reads) as one JSON object."""
        before, *after = self.metrics
        return b"".join((before, _RAYLET, self.known.raylet, *after))


@dataclass(frozen=True, slots=True)
class Nodes:
    """A JSON array of nodes read with the whole model: an alive node with the nodes without
    an agent that follow it, those before the first alive node, or a node whose layout
    surprised the search."""

    content: bytes


Piece = Node | Nodes


class _Scan:
    """One pass over the node array: each search starts where the last one ended, and skips
    what the memo knows is unchanged."""

    def __init__(self, content: bytes, array_end: int, memo: NodeMemo) -> None:
        self.content = content
        self.view = memoryview(content)
        self.array_end = array_end
        self.old = memo.known
        self.fresh: list[Known | None] = []

    def piece(self, start: int) -> tuple[Piece, int]:
        """The piece of the alive node at `start`, and where the next one starts (-1: none)."""
        content, array_end = self.content, self.array_end
        index = len(self.fresh)
        old = self.old[index] if index < len(self.old) else None
        raylet = content.find(_RAYLET, start, array_end)
        value = raylet + len(_RAYLET)
        part = None
        if (  # the raylet member as it was: the agent's member right after it
            old is not None
            and raylet >= 0
            and content.startswith(old.raylet, value)
            and content.startswith(_AGENT, value + len(old.raylet))
        ):
            agent, part = value + len(old.raylet), old.part
        else:
            agent = content.find(_AGENT, start, array_end)
        after = content.find(_AFTER_AGENT, agent, array_end) if agent >= 0 else -1
        cmdline = content.find(_CMDLINE, after, array_end) if after >= 0 else -1
        if (
            old is not None
            and cmdline >= 0
            and 0 <= raylet < agent
            and content.startswith(old.tail, cmdline)
        ):
            end = cmdline + len(old.tail)  # the tail as it was: the node ends there
            if content.startswith(_NEXT_NODE, end) or end == array_end:
                # Both as they were: the very same entry (no new objects for the collector).
                known = old if part is not None else Known(content[value:agent], None, old.tail)
                self.fresh.append(known)
                metrics = (self.view[start:raylet], self.view[after + 1 : cmdline], b"}")
                return Node(metrics, known), (end + 2 if end < array_end else -1)
        following = content.find(_ELEMENT_START, max(start, cmdline) + 1, array_end)
        end = content.rfind(b"}", start, following if following >= 0 else array_end) + 1
        same_raylet = old if part is not None else None
        return self._searched(start, (raylet, agent, after, cmdline), end, same_raylet), following

    def _searched(
        self, start: int, found: tuple[int, int, int, int], end: int, same_raylet: Known | None
    ) -> Piece:
        """`content[start:end]` (an alive node and any nodes without an agent after it) without
        the alive node's agent, cmdline and gcs, given where `_RAYLET`, `_AGENT`,
        `_AFTER_AGENT` and `_CMDLINE` matched (-1: not found); `same_raylet`: the last poll's
        entry when its raylet member is the same."""
        content, view = self.content, self.view
        raylet, agent, after, cmdline = found
        if cmdline < 0 or cmdline > end:  # not the layout expected: whole (its parse tells)
            self.fresh.append(None)
            return Nodes(b"[" + content[start:end] + b"]")
        middle = view[after + 1 : cmdline]
        # The command line and the gcs record end the node (Ray 2.60's order), and no node
        # without an agent follows it (those are read whole, with their neighbour).
        last = content[end - 2 : end] == b"]}" or content.rfind(_GCS, cmdline, end) >= 0
        if not last or content.find(_NO_AGENT_NODE, cmdline, end) >= 0 or not 0 <= raylet < agent:
            self.fresh.append(None)
            return Nodes(b"".join((b"[", view[start:agent], middle, view[cmdline:end], b"]")))
        tail = content[cmdline:end]
        if same_raylet is not None:
            known = Known(same_raylet.raylet, same_raylet.part, tail)
        else:
            known = Known(content[raylet + len(_RAYLET) : agent], None, tail)
        self.fresh.append(known)
        return Node((view[start:raylet], middle, b"}"), known)


def node_pieces(content: bytes, memo: NodeMemo | None = None) -> list[Piece] | None:
    """The node array in pieces, in order, without the members no model reads; None when the
    answer is not laid out as expected. `memo` is updated with what was found (see NodeMemo):
    the caller keeps the new one only once the pieces have been read."""
    array = content.find(_ARRAY_START)
    logical = content.rfind(_LOGICAL_KEY)
    if array < 0 or logical < array:
        return None
    array += len(_ARRAY_START)
    array_end = content.rfind(b"]", array, logical)
    if array_end < 0:
        return None
    scan = _Scan(content, array_end, memo if memo is not None else NodeMemo())
    pieces: list[Piece] = []
    start = content.find(_ELEMENT_START, array, array_end)
    before = content.rfind(b"}", array, start if start >= 0 else array_end)
    if before >= 0:
        pieces.append(Nodes(b"[" + content[array : before + 1] + b"]"))
    while start >= 0:
        piece, start = scan.piece(start)
        pieces.append(piece)
    if memo is not None:
        memo.pending = scan.fresh
    return pieces


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


def _views(pieces: list[Piece]) -> list[NodeView]:
    views: list[NodeView] = []
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
        unread = [node.known for node in batch if node.known.part is None]
        if unread:  # raylet members that changed (or are new): one call for the batch
            raylets = _RAYLETS.validate_json(b"[" + b", ".join(k.raylet for k in unread) + b"]")
            for known, raylet in zip(unread, raylets, strict=True):
                known.part = RayletPart.of(raylet)
        for node, summary in zip(batch, metrics, strict=True):
            part = node.known.part
            assert part is not None  # read just above
            views.append(NodeView.from_parts(summary, part))
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
    content: bytes, memo: NodeMemo | None = None
) -> tuple[list[NodeView], dict[str, str]]:
    """The nodes as NodeViews, with the logical-resource strings: a few nodes parsed per call,
    for a thread, which then never holds the GIL for long. `memo` (the caller's, kept between
    polls) saves searching and reading again what did not change. Each node's model becomes
    its view at once, so the models die young: kept for the whole answer, 5,000 nodes' models
    outlive the young generations and every poll pays full garbage collections of 100-200 ms
    (each a frozen frame)."""
    with gc_paused():  # the pieces too: tens of thousands of objects the collector need not see
        pieces = node_pieces(content, memo) if len(content) >= WHOLE_PARSE_LIMIT else None
        if pieces is not None:
            try:
                views = _views(pieces)
                logical = _logical_resources(content)
            except ValidationError:
                pass  # the whole parse says what is wrong
            else:
                if memo is not None:
                    memo.known, memo.pending = memo.pending, []
                del pieces  # freed here, before the collector runs again
                return views, logical
        data = parse_whole(content)
        views = [NodeView.from_summary(node) for node in data.summary]
        return views, data.node_logical_resources
