"""Every use of Textual's private API in sovtui, in one place (written against Textual 8.2).

Each workaround says what it relies on and why no public API does it. The tests in
tests/unit/test_textual_hacks.py check that each of those internals still exists with the
shape used here, so a Textual upgrade that changes one fails there, by name, instead of as
a wrong frame, a stale table or a raw traceback somewhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from textual import events
from textual.app import App
from textual.widgets import DataTable, Footer, Log

if TYPE_CHECKING:
    from rich.style import Style
    from textual.strip import Strip

ReturnType = TypeVar("ReturnType")


# -- App: unhandled exceptions ---------------------------------------------------------------


class CrashHookApp(App[ReturnType]):
    """An App told about an exception nothing handled, before Textual exits with it.

    Relies on: App._handle_exception(error), Textual's one funnel for unhandled exceptions
    (no public hook exists), and App._exit_renderables, what it prints on exit.
    """

    def crashed(self, error: Exception) -> None:
        """Called for each unhandled exception, once Textual has begun to exit; override it."""

    def _handle_exception(self, error: Exception) -> None:
        try:
            super()._handle_exception(error)  # sets the return code, queues the traceback
        finally:
            self.crashed(error)

    def drop_exit_traceback(self) -> None:
        """Forget what Textual would print on exit (its traceback, with locals, quotes
        cluster text raw): for `crashed`, once the traceback is saved elsewhere."""
        self._exit_renderables.clear()


# -- DataTable: cached lines after idle measuring ----------------------------------------------


def _column_widths(table: DataTable[Any]) -> list[int]:
    return [column.content_width for column in table.columns.values()]


class RemeasuringDataTable(DataTable[Any]):
    """A DataTable that redraws its cached lines when measuring on idle widened a column.

    DataTable measures new or updated cells on idle but keeps the lines it rendered before
    that in its caches, so an unfocused table kept header-wide columns. No public call
    drops those caches without a full redraw on every poll.

    Relies on: DataTable._on_idle (where it measures), its pending-work flags
    _require_update_dimensions and _updated_cells, and _clear_caches().
    """

    async def _on_idle(self, event: events.Idle) -> None:
        measuring = bool(self._require_update_dimensions or self._updated_cells)
        widths = _column_widths(self)
        await super()._on_idle(event)
        # Only a change of column widths makes cached lines wrong; changed cells refresh
        # themselves. Redrawing the whole table every poll was the idle dashboard's top cost.
        if measuring and widths != _column_widths(self):
            self._clear_caches()
            self.refresh()


# -- Footer: rebuilt only when its keys change -------------------------------------------------


class SteadyFooter(Footer):
    """Textual's Footer rebuilds all its keys on every bindings change, one queued rebuild
    per change. At start-up three arrive together (screen resume, focus, the refresh after
    it) and the keys were built three times over before the footer was complete; a focus
    move that keeps the same keys rebuilt them too. A rebuild that would show the same keys
    is skipped.

    Relies on: Footer.bindings_changed answering each change with `recompose` (a public
    method, but only Footer's internals say that it is the one to intercept).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[object, ...] | None = None

    def _showing(self) -> tuple[object, ...]:
        bindings = tuple(
            (binding.key, binding.key_display, binding.description, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )
        return bindings, self.compact, self.show_command_palette

    async def recompose(self) -> None:
        if not self.is_attached:  # queued before its screen went away (Textual's own guard)
            return
        showing = self._showing()
        if self.children and showing == self._shown:
            return
        await super().recompose()
        self._shown = showing if self.children else None


# -- Log: editing the lines it holds ------------------------------------------------------------


def log_line_store(log: Log) -> list[str]:
    """The Log's own list of lines: editing it changes what the Log shows, once
    `forget_rendered_lines` and a refresh follow. Log offers only appending and clearing
    all; dropping the oldest lines behind a "not shown" line needs the list itself.

    Relies on: Log._lines, the list `Log.lines` returns read-only.
    """
    lines: list[str] = log._lines
    return lines


def forget_rendered_lines(log: Log) -> None:
    """Drop the Log's rendered lines after its text or highlighting changed in place.

    Relies on: Log._render_line_cache (an LRUCache of line index -> Strip).
    """
    log._render_line_cache.clear()


# -- DataTable: a column header changed in place ------------------------------------------------


def relabel_column(table: DataTable[Any], key: str, label: Any) -> None:
    """Change a column's header (a sort arrow) and redraw it. DataTable has no public call to
    relabel a column: its `Column.label` can be set, but the header is cached and the column's
    width was measured for the old label.

    Relies on: Column.content_width (the measured width) and DataTable._clear_caches().
    """
    column = table.columns[key]  # type: ignore[index]
    column.label = label
    column.content_width = max(column.content_width, label.cell_len)
    table._clear_caches()
    table.refresh()


# -- Log: styling each line by its index ---------------------------------------------------------


class LineStyledLog(Log):
    """A Log whose highlighter can tell which line it is styling: `styling_line` is the index
    of the line being rendered while the highlighter runs (the Log gives it only the text).

    Relies on: Log._render_line_strip(y, rich_style), which renders line `y` and calls the
    highlighter on it.
    """

    styling_line = -1

    def _render_line_strip(self, y: int, rich_style: Style) -> Strip:
        self.styling_line = y
        return super()._render_line_strip(y, rich_style)
