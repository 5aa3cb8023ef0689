"""The node table's rows made again only where a node changed give exactly the rows a fresh
build gives (the nodes: a recorded Ray 2.60 answer, replicated)."""

from __future__ import annotations

from dataclasses import replace

from sovtui.ray_api.snapshot import NodeView
from sovtui.ray_api.summary_parse import node_views
from sovtui.tui.widgets.node_table import COLUMNS, node_cells, node_row
from sovtui.tui.widgets.virtual_table import RowBuilder, RowCache, Rows
from tests.support.recorded_ray import RAY_260, replicated_summary


def build(nodes: list[NodeView], previous: RowCache | None) -> Rows:
    builder = RowBuilder(len(COLUMNS), previous)
    for node in nodes:
        builder.add(node.node_id, *node_cells(builder, node))
    return builder.rows


def fresh(nodes: list[NodeView]) -> Rows:
    builder = RowBuilder(len(COLUMNS))
    for node in nodes:
        builder.add(node.node_id, *builder.cells_of(node.node_id, node, node_row))
    return builder.rows


def test_only_changed_cells_are_made_again_and_the_rows_are_a_fresh_builds() -> None:
    nodes, _ = node_views(replicated_summary(RAY_260, 40))
    first = build(nodes, None)
    changed = list(nodes)
    changed[1] = replace(nodes[1], cpu_percent=12.5, memory_used=1.5 * 2**30)
    changed[2] = replace(nodes[2], state="DEAD", ip="10.0.0.2\x1b[31m\t")  # shown safely
    changed[3] = replace(nodes[3], gpus=8.0, gpu_utilization=50.0, object_store_used=None)
    changed.append(changed.pop(0))  # order changes too
    changed.append(changed[4])  # a duplicate key: the first wins
    second = build(changed, first.cache)
    expected = fresh(changed)
    assert (second.keys, second.cells, second.widths) == (
        expected.keys,
        expected.cells,
        expected.widths,
    )
    old = dict(zip(first.keys, first.cells, strict=True))
    new = dict(zip(second.keys, second.cells, strict=True))
    assert new[nodes[5].node_id] is old[nodes[5].node_id]  # unchanged: the row itself reused
    one, other = old[nodes[1].node_id], new[nodes[1].node_id]
    kept = [index for index in range(len(COLUMNS)) if one[index] is other[index]]
    assert kept == [0, 1, 2, 3, 4, 7, 8]  # CPU% and Memory made again, the rest kept
    assert "\x1b" not in str(new[nodes[2].node_id][1])
