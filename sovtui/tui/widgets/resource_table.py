"""A resource view's table: the rows of one poll, `/`-filtered and sorted by any column,
with the count (and "showing N of M") in its title. The cursor stays on its row's id."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from sovtui.tui.resource_views import ResourceView
from sovtui.tui.row_query import RowFilter, row_text, sort_key
from sovtui.tui.textual_hacks import relabel_column
from sovtui.tui.widgets.node_table import LiveTable, replace_rows
from sovtui.tui.widgets.plain import cell

# Rows added to the table per frame when it is rebuilt: a DataTable measures every new cell, so
# thousands of rows at once would block the screen for seconds (10,000 rows: ~3 s).
SLICE = 100


class ResourceTable(LiveTable):
    def __init__(self, view: ResourceView, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view = view
        self.items: list[Any] = []
        self.total: int | None = None  # what exists, when the answer was truncated
        self.row_filter = RowFilter()
        self.sort_column: int | None = None
        self.sort_reverse = False
        self.shown_items: dict[str, Any] = {}
        self._generation = 0  # bumped by every render: a pending slice of an older one stops

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self._add_columns()
        self._render_rows()

    def _add_columns(self) -> None:
        for index, column in enumerate(self.view.columns):
            self.add_column(self._header(index, column.title), key=str(index))

    def _header(self, index: int, title: str) -> Text:
        if index != self.sort_column:
            return Text(title)
        return Text(f"{title} {'▼' if self.sort_reverse else '▲'}", style="bold")

    # -- what the screen sets -----------------------------------------------------------------

    def show(self, items: list[Any], total: int | None = None) -> None:
        self.items = items
        self.total = total
        self._render_rows()

    def set_filter(self, text: str) -> None:
        self.row_filter = RowFilter(text)
        self._render_rows()

    def cycle_sort(self) -> None:
        """The next column (after the last: the order Ray gave)."""
        count = len(self.view.columns)
        self.sort_column = 0 if self.sort_column is None else self.sort_column + 1
        if self.sort_column >= count:
            self.sort_column = None
        self._resort()

    def sort_by(self, column: int | None, reverse: bool = False) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        self._resort()

    def reverse_sort(self) -> None:
        if self.sort_column is None:
            self.sort_column = 0
        self.sort_reverse = not self.sort_reverse
        self._resort()

    def _resort(self) -> None:
        for index, column in enumerate(self.view.columns):
            relabel_column(self, str(index), self._header(index, column.title))
        self._render_rows()

    # -- rendering ----------------------------------------------------------------------------

    def visible_rows(self) -> list[tuple[str, Any, tuple[Any, ...]]]:
        """(id, item, cells) of the rows shown, filtered and sorted."""
        view = self.view
        matches = self.row_filter.matcher()
        rows = []
        for item in self.items:
            cells = view.row(item)
            if matches(row_text(cells)):
                rows.append((view.row_id(item), item, cells))
        if self.sort_column is not None:
            column = self.sort_column
            rows.sort(
                key=lambda row: sort_key(view.sort_values(row[1])[column]),
                reverse=self.sort_reverse,
            )
        return rows

    def _render_rows(self) -> None:
        if not self.is_mounted:
            return
        rows = self.visible_rows()
        unique: dict[str, tuple[Any, tuple[Any, ...]]] = {}
        for key, item, cells in rows:
            unique.setdefault(key, (item, cells))
        self.shown_items = {key: item for key, (item, _cells) in unique.items()}
        wanted = [(key, cells) for key, (_item, cells) in unique.items()]
        self._generation += 1
        shown = list(self.shown_rows)
        if len(wanted) <= SLICE or shown == list(unique):
            replace_rows(self, wanted)
        elif shown and shown == list(unique)[: len(shown)]:  # a slower rebuild goes on
            replace_rows(self, wanted[: len(shown)])
            self.call_after_refresh(self._add_slice, wanted, len(shown), self._generation, None)
        else:  # a rebuild of many rows: the first slice now, the rest one slice a frame
            cursor_key = self._cursor_key()
            replace_rows(self, wanted[:SLICE])
            self.call_after_refresh(self._add_slice, wanted, SLICE, self._generation, cursor_key)
        self.show_title(self.title_text(len(unique)))

    def _cursor_key(self) -> str | None:
        if self.row_count and 0 <= self.cursor_row < self.row_count:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
            return None if key is None else str(key)
        return None

    def _add_slice(
        self,
        wanted: list[tuple[str, tuple[Any, ...]]],
        start: int,
        generation: int,
        cursor_key: str | None,
    ) -> None:
        if generation != self._generation or not self.is_mounted:
            return  # a newer poll, filter or sort rebuilt the table since
        moved = self._cursor_key()
        for key, values in wanted[start : start + SLICE]:
            self.add_row(*(cell(value) for value in values), key=key)
            self.shown_rows[key] = tuple(values)
        end = start + SLICE
        if end < len(wanted):
            self.call_after_refresh(self._add_slice, wanted, end, generation, cursor_key)
        elif (
            cursor_key is not None
            and cursor_key in self.shown_rows
            and moved != cursor_key
            and self.cursor_row == 0
        ):  # the row the cursor was on came in a later slice: put the cursor back on it
            self.move_cursor(row=list(self.shown_rows).index(cursor_key), animate=False)

    def title_text(self, shown: int) -> str:
        title = self.view.title
        fetched = len(self.items)
        total = self.total if self.total is not None else fetched
        if self.row_filter.active:
            return f"{title} ({shown} of {fetched} match {self.row_filter.text!r})"
        if total > fetched:
            return f"{title} (showing {fetched} of {total})"
        return f"{title} ({fetched})"

    def selected(self) -> tuple[str, Any] | None:
        """The id and the item under the cursor."""
        if not self.row_count or not 0 <= self.cursor_row < self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        if key is None or key not in self.shown_items:
            return None
        return key, self.shown_items[key]
