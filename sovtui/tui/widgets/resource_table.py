"""A resource view's table: the rows of one poll, `/`-filtered and sorted by any column,
with the count (and "showing N of M") in its title. The cursor stays on its row's id.

Only the rows on screen are drawn (VirtualTable); past a thousand rows they are built in a
thread, so a 10,000-row poll never holds the event loop for the ~0.1 s its Python takes.
"""

from __future__ import annotations

import operator
from typing import Any, TypeVar

from rich.text import Text

from sovtui.tui.resource_views import ResourceView
from sovtui.tui.row_query import RowFilter, row_text, sort_key
from sovtui.tui.widgets.virtual_table import (
    IN_PLACE_ROWS,
    RowBuilder,
    RowCache,
    Rows,
    VirtualTable,
)

PREVIEW_ROWS = 100  # more than a screenful: what a first big answer shows before its thread ends


class ResourceTable(VirtualTable):
    def __init__(self, view: ResourceView, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view = view
        self.items: list[Any] = []
        self.total: int | None = None  # what exists, when the answer was truncated
        self.row_filter = RowFilter()
        self.sort_column: int | None = None
        self.sort_reverse = False
        self.shown_items: dict[str, Any] = {}

    def on_mount(self) -> None:
        for index, column in enumerate(self.view.columns):
            self.add_column(self._header(index, column.title), key=str(index))
        self._render_rows()

    def _header(self, index: int, title: str) -> Text:
        if index != self.sort_column:
            return Text(title)
        return Text(f"{title} {'▼' if self.sort_reverse else '▲'}", style="bold")

    # -- what the screen sets -----------------------------------------------------------------

    def show(self, items: list[Any], total: int | None = None) -> None:
        unchanged = (
            total == self.total
            and len(items) == len(self.items)
            and all(map(operator.is_, items, self.items))
            and not self.building
        )
        self.items = items
        self.total = total
        if unchanged and self.is_mounted:
            # The very objects of the last poll (an unchanged answer is not parsed again):
            # the rows shown are theirs already, and 10,000 of them are not walked again.
            self.rendered += 1
            return
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
            self.relabel(str(index), self._header(index, column.title))
        self._render_rows()

    # -- rendering ----------------------------------------------------------------------------

    def visible_rows(self) -> list[tuple[str, Any, tuple[Any, ...]]]:
        """(id, item, cells) of the rows shown, filtered and sorted."""
        return visible_rows(
            self.view, self.items, self.row_filter, self.sort_column, self.sort_reverse
        )

    def _render_rows(self) -> None:
        if not self.is_mounted:
            return
        view, items, row_filter = self.view, list(self.items), self.row_filter
        column, reverse, previous = self.sort_column, self.sort_reverse, self.row_cache

        def build() -> Rows:
            return build_rows(view, items, row_filter, column, reverse, previous)

        if not self.row_keys and len(items) > IN_PLACE_ROWS and column is None:
            # An empty table about to wait for a thread: Ray's order, so its first screenful
            # is the first rows; those now, the rest when the thread is done.
            first = items[:PREVIEW_ROWS]
            preview = build_rows(view, first, row_filter, None, False)
            self.show_rows(lambda: preview, len(first), self._shown)
        self.show_rows(build, len(items), self._shown)

    def _shown(self, rows: Rows) -> None:
        self.shown_items = rows.extra
        self.show_title(self.title_text(len(rows.keys)))

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
        key = self.cursor_key
        if key is None or key not in self.shown_items:
            return None
        return key, self.shown_items[key]


def visible_rows(
    view: ResourceView,
    items: list[Any],
    row_filter: RowFilter,
    sort_column: int | None,
    sort_reverse: bool,
) -> list[tuple[str, Any, tuple[Any, ...]]]:
    """(id, item, cells) of the rows kept by the filter, sorted by `sort_column`."""
    rows = [(view.row_id(item), item, view.row(item)) for item in items]
    return kept_in_order(view, rows, row_filter, sort_column, sort_reverse)


Entry = TypeVar("Entry", bound=tuple[Any, ...])


def kept_in_order(
    view: ResourceView,
    entries: list[Entry],
    row_filter: RowFilter,
    sort_column: int | None,
    sort_reverse: bool,
) -> list[Entry]:
    """The (id, item, cells, ...) entries whose cells the filter keeps, sorted by the item's
    value in `sort_column`."""
    if row_filter.active:
        matches = row_filter.matcher()
        entries = [entry for entry in entries if matches(row_text(entry[2]))]
    if sort_column is not None:
        column = view.columns[sort_column]
        value = column.sort or column.value
        entries.sort(key=lambda entry: sort_key(value(entry[1])), reverse=sort_reverse)
    return entries


def build_rows(
    view: ResourceView,
    items: list[Any],
    row_filter: RowFilter,
    sort_column: int | None,
    sort_reverse: bool,
    previous: RowCache | None = None,
) -> Rows:
    """The table's rows, filtered and sorted, one per id (the first wins); `extra`: the items
    by id. Rows of unchanged items come from `previous`. No Textual: this may run in a thread."""
    builder = RowBuilder(len(view.columns), previous)
    entries = []
    for item in items:
        key = view.row_id(item)
        entries.append((key, item, *builder.cells_of(key, item, view.row)))
    entries = kept_in_order(view, entries, row_filter, sort_column, sort_reverse)
    shown: dict[str, Any] = {}
    for key, item, cells, widths in entries:
        if builder.add(key, cells, widths):
            shown[key] = item
    builder.rows.extra = shown
    return builder.rows
