"""The node table: one row per Ray node (only those on screen drawn: 5,000 nodes poll in
tens of ms); the cursor stays on its node. LiveTable/replace_rows: the small DataTables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from rich.text import Text

from sovtui.ray_api.snapshot import NodeView
from sovtui.support.formatting import human_bytes, percent
from sovtui.tui.textual_hacks import RemeasuringDataTable
from sovtui.tui.widgets.plain import cell
from sovtui.tui.widgets.virtual_table import (
    RowBuilder,
    Rows,
    VirtualTable,
    cell_width,
    safe_cell,
)

COLUMNS = ("Node", "IP", "Role", "State", "CPUs", "CPU%", "Memory", "Obj store", "GPUs")


def _role(node: NodeView) -> str:
    return "head" if node.is_head else "worker"


def _memory(node: NodeView) -> str:
    return f"{human_bytes(node.memory_used)}/{human_bytes(node.memory_total)}"


def _store(node: NodeView) -> str:
    return f"{human_bytes(node.object_store_used)}/{human_bytes(node.object_store_total)}"


def _gpus(node: NodeView) -> str:
    gpus = f"{node.gpus:g}" if node.gpus else "—"
    if node.gpus and node.gpu_utilization is not None:
        gpus += f" ({node.gpu_utilization:.0f}%)"
    return gpus


# Per column: the fields its cell shows, and the cell. Most of a poll's nodes differ from the
# last poll only in their CPU and memory use: only those cells are made again (5,000 nodes).
CELLS: tuple[tuple[Callable[[NodeView], Any], Callable[[NodeView], str]], ...] = (
    (attrgetter("node_id"), attrgetter("short_id")),
    (attrgetter("ip"), attrgetter("ip")),
    (attrgetter("is_head"), _role),
    (attrgetter("state"), attrgetter("state")),
    (attrgetter("cpus"), lambda node: f"{node.cpus:g}"),
    (attrgetter("cpu_percent"), lambda node: percent(node.cpu_percent)),
    (attrgetter("memory_used", "memory_total"), _memory),
    (attrgetter("object_store_used", "object_store_total"), _store),
    (attrgetter("gpus", "gpu_utilization"), _gpus),
)


def node_row(node: NodeView) -> tuple[str, ...]:
    return tuple(cell_of(node) for _, cell_of in CELLS)


def node_cells(
    builder: RowBuilder, node: NodeView
) -> tuple[tuple[str | Text, ...], tuple[int, ...]]:
    """`builder.cells_of(node.node_id, node, node_row)`, except that a node shown last time
    has only its changed cells made again."""
    key = node.node_id
    old = builder.previous.get(key)
    if key in builder.rows.cache or old is None or old[0] is node or old[0] == node:
        return builder.cells_of(key, node, node_row)
    shown, cells, widths = old[0], list(old[1]), list(old[2])
    for index, (fields, cell_of) in enumerate(CELLS):
        if fields(node) != fields(shown):
            cells[index] = safe = safe_cell(cell_of(node))
            widths[index] = cell_width(safe)
    entry = (node, tuple(cells), tuple(widths))
    builder.rows.cache[key] = entry
    return entry[1], entry[2]


class LiveTable(RemeasuringDataTable):
    """A DataTable whose rows are replaced every poll (and whose columns widen to fit)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown_rows: dict[str, tuple[Any, ...]] = {}
        self._shown_title: str | None = None

    def show_title(self, title: str) -> None:
        """Set the border title; setting it repaints the whole table, even when unchanged."""
        if title != self._shown_title:
            self._shown_title = title
            self.border_title = title


class NodeTable(VirtualTable):
    BORDER_TITLE = "Nodes"

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(column, key=column)

    def show_nodes(self, nodes: tuple[NodeView, ...]) -> None:
        previous = self.row_cache

        def build() -> Rows:
            builder = RowBuilder(len(COLUMNS), previous)
            for node in nodes:
                builder.add(node.node_id, *node_cells(builder, node))
            return builder.rows

        alive = sum(1 for node in nodes if node.alive)
        title = f"Nodes ({alive} alive / {len(nodes)})"
        self.show_rows(build, len(nodes), lambda _rows: self.show_title(title))


def replace_rows(table: LiveTable, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Show exactly `rows`, keeping the cursor on the same key when it is still there.

    When the keys are unchanged only the cells that differ are updated, which keeps a
    1000-node poll cheap; the last shown values are kept to compare against. Every value is
    cluster text: `cell` shows it literally (a `str` would be parsed as markup).
    """
    current_key: str | None = None
    if table.row_count and 0 <= table.cursor_row < table.row_count:
        current_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    shown = table.shown_rows
    wanted = [key for key, _ in rows]
    if list(shown) == wanted:
        columns = list(table.columns)
        for key, values in rows:
            previous = shown[key]
            if previous == tuple(values):
                continue
            for column, value, old in zip(columns, values, previous, strict=False):
                if value != old:
                    table.update_cell(key, column, cell(value), update_width=True)
            shown[key] = tuple(values)
        return
    table.clear()
    shown.clear()
    for key, values in rows:
        table.add_row(*(cell(value) for value in values), key=key)
        shown[key] = tuple(values)
    if current_key is not None and current_key in shown:
        table.move_cursor(row=wanted.index(current_key), animate=False)
