"""The node summary parsed without the members no model reads (agent, cmdline, gcs) gives
exactly what the whole parse gives: on a recorded Ray 2.60 answer, with hostile strings where
the byte search looks, with nodes that have no agent (dead ones), and with layouts it does not
expect (then it parses the whole answer: slower, never wrong)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sovtui.ray_api.snapshot import NodeView
from sovtui.ray_api.summary_parse import (
    Node,
    NodeMemo,
    node_pieces,
    node_views,
    parse_incrementally,
    parse_whole,
)
from tests.support.recorded_ray import RAY_260, replicated_summary

# Every pattern the cut searches for, and JSON's own escapes around them.
HOSTILE = [
    ', "agent": {',
    '}, "bootTime": ',
    ', "cmdline": [',
    '], "gcs": ',
    '{"now": ',
    '{"raylet": ',
    '"summary": [',
    '"nodeLogicalResources": ',
    'a\\", "agent": {"x": 1}, "b',
    "\\",
    '\\"',
    "]}",
]


def document(count: int = 40) -> dict[str, Any]:
    body = json.loads(replicated_summary(RAY_260, count))
    assert len(json.dumps(body)) > 512 * 1024  # large enough to be read in pieces
    return body


def encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def whole_views(content: bytes) -> list[NodeView]:
    return [NodeView.from_summary(node) for node in parse_whole(content).summary]


async def assert_same_as_whole(content: bytes) -> None:
    views, logical = node_views(content)
    assert views == whole_views(content)
    assert logical == parse_whole(content).node_logical_resources
    assert await parse_incrementally(content) == parse_whole(content)


def cut_share(content: bytes) -> float:
    """The share of the answer's bytes that are validated."""
    pieces = node_pieces(content)
    assert pieces is not None
    read = [len(p.whole()) if isinstance(p, Node) else len(p.content) for p in pieces]
    return sum(read) / len(content)


async def test_a_recorded_answer_is_read_without_the_unread_members() -> None:
    content = encoded(document())
    assert cut_share(content) < 0.3  # agent, cmdline and gcs were ~3/4 of each node
    await assert_same_as_whole(content)


async def test_hostile_strings_neither_mislead_nor_defeat_the_cut() -> None:
    body = document()
    for index, node in enumerate(body["data"]["summary"]):
        node["cmdline"] = [*HOSTILE, *node["cmdline"]]
        node["agent"]["cmdline"] = HOSTILE
        node["hostname"] = HOSTILE[index % len(HOSTILE)]
        node["raylet"]["labels"] = {text: text for text in HOSTILE}
    content = encoded(body)
    assert cut_share(content) < 0.4
    await assert_same_as_whole(content)


@pytest.mark.parametrize("gcs", ["absent", "null", "last but one"])
async def test_nodes_without_a_gcs_record(gcs: str) -> None:
    body = document()
    for node in body["data"]["summary"][1:]:
        if gcs == "absent":
            del node["gcs"]
        elif gcs == "null":
            node["gcs"] = None
        else:  # a member after gcs: the node is still read whole and right
            node["after"] = {"x": 1}
    content = encoded(body)
    if gcs != "last but one":
        assert cut_share(content) < 0.3
    await assert_same_as_whole(content)


async def test_nodes_without_an_agent_anywhere_in_the_array() -> None:
    """Ray lists a node it has no agent report for (a dead one) as `{"raylet": {...}}`: before
    the first alive node, between alive ones and at the end none may be lost."""
    body = document()
    nodes = body["data"]["summary"]
    dead = [{"raylet": dict(nodes[index]["raylet"], state="DEAD")} for index in range(4)]
    for index, node in enumerate(dead):
        node["raylet"]["nodeId"] = f"dead{index:04x}" + node["raylet"]["nodeId"][8:]
    body["data"]["summary"] = [dead[0], nodes[0], dead[1], dead[2], *nodes[1:], dead[3]]
    content = encoded(body)
    views, _ = node_views(content)
    assert [view.state for view in views].count("DEAD") == 4
    assert cut_share(content) < 0.35
    await assert_same_as_whole(content)


async def test_a_nested_agent_object_falls_back_to_the_whole_parse() -> None:
    body = document()
    for node in body["data"]["summary"]:
        node["raylet"]["extra"] = {"agent": {"pid": 1}, "y": [1]}
    await assert_same_as_whole(encoded(body))


async def test_reordered_members_fall_back_to_the_whole_parse() -> None:
    body = document()
    body["data"]["summary"] = [dict(reversed(list(n.items()))) for n in body["data"]["summary"]]
    await assert_same_as_whole(encoded(body))


async def test_what_did_not_change_is_not_searched_or_read_again_and_the_rest_is() -> None:
    body = document()
    memo = NodeMemo()
    first, _ = node_views(encoded(body), memo)
    assert len(memo.known) == len(first) and all(memo.known)
    nodes = body["data"]["summary"]
    for node in nodes:  # the agent's members change with every report
        node["now"] += 2.5
        node["cpu"] = 12.5
    nodes[3]["raylet"]["objectStoreUsedMemory"] = 12345.0  # this node's raylet changed
    nodes[5]["raylet"]["state"] = "DEAD"
    nodes[7], nodes[8] = nodes[8], nodes[7]  # two swapped places
    nodes[10]["cmdline"] = ["ray", "--longer", "--command", "--line"]  # a tail changed
    nodes[11]["gcs"] = {"pid": 1, "cmdline": HOSTILE}
    nodes[12]["cmdline"] = nodes[12]["cmdline"][:1]  # a shorter tail
    content = encoded(body)
    parts = [known.part for known in memo.known if known is not None]
    second, _ = node_views(content, memo)
    assert second == whole_views(content)  # never a stale value
    now = [known.part for known in memo.known if known is not None]
    reused = [index for index, part in enumerate(now) if part is parts[index]]
    assert reused == [i for i in range(len(nodes)) if i not in (3, 5, 7, 8)]
    assert second[3].object_store_used == 12345.0 and second[5].state == "DEAD"
    assert {view.cpu_percent for view in second} == {12.5}
    assert cut_share(content) < 0.3


async def test_a_known_node_followed_by_one_without_an_agent_is_not_lost() -> None:
    body = document()
    memo = NodeMemo()
    node_views(encoded(body), memo)
    nodes = body["data"]["summary"]
    dead = {"raylet": dict(nodes[2]["raylet"], state="DEAD", nodeId="dead" + "0" * 52)}
    nodes.insert(3, dead)  # right after a node whose tail the memo knows
    nodes.append(dict(dead))
    content = encoded(body)
    views, _ = node_views(content, memo)
    assert views == whole_views(content)
    assert [view.state for view in views].count("DEAD") == 2
