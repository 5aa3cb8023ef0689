"""A row-cursor table that renders only the rows on screen, drawn exactly as a DataTable.

Textual's DataTable measures every new cell with Rich (~30 µs a cell) and, after any change,
renders every visible cell again through Rich's console (~0.2 ms a cell): 500 rows cost
~150 ms of measuring and each poll ~100 ms of drawing, 10,000 rows seconds. Here rows are
plain values swapped in whole (O(rows) pointer work), widths come from the text's cell
length, and a frame draws the ~40 rows it shows straight into segments. The look (component
classes, padding, zebra stripes, the cursor, segment meta) is DataTable's, so screens and
snapshots cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from sovtui.support.safe_text import visible

PADDING = 1  # cells each side of a column, as DataTable's cell_padding

# Up to this many rows are built in the event loop; more go to a thread (its GIL switches
# every 5 ms let frames through, where a loop over 10,000 rows held them for ~0.1-0.3 s).
IN_PLACE_ROWS = 1000


def safe_cell(value: Any) -> str | Text:
    """A cell as shown: a str stays a str (never markup), control characters made visible,
    tabs expanded (a segment must not move the terminal's cursor)."""
    if isinstance(value, str):
        return value if value.isprintable() else visible(value).expandtabs()
    if isinstance(value, Text):
        if not value.plain.isprintable():
            safe = visible(value.plain)
            if safe != value.plain:  # only tabs otherwise; a changed length would misplace spans
                return Text(safe.expandtabs(), style=value.style)
            value = value.copy()
            value.expand_tabs()
        return value
    return str(value)


def cell_width(value: str | Text) -> int:
    text = value if isinstance(value, str) else value.plain
    return len(text) if text.isascii() else cell_len(text)


# key -> (item, safe cells, their widths): a row as the last build made it, reused while its
# item is equal (most rows of a poll are unchanged: comparing is ~10x cheaper than formatting).
RowCache = dict[str, tuple[Any, tuple[str | Text, ...], tuple[int, ...]]]


@dataclass
class Rows:
    """What a table shows: keys, safe cells (see `safe_cell`), the widest cell per column, the
    rows to reuse next time, and what the caller keeps alongside (the items by key, say)."""

    keys: list[str]
    cells: list[Sequence[str | Text]]
    widths: list[int]
    cache: RowCache = field(default_factory=dict)
    extra: Any = None


class RowBuilder:
    """Collects rows: the first of a key wins, cells made safe and measured (or reused from
    `previous` while the item is unchanged). No Textual: it may run in a thread."""

    def __init__(self, columns: int, previous: RowCache | None = None) -> None:
        self.rows = Rows([], [], [0] * columns)
        self.previous: RowCache = previous or {}
        self.seen: set[str] = set()

    def cells_of(
        self, key: str, item: Any, row: Callable[[Any], Sequence[Any]]
    ) -> tuple[tuple[str | Text, ...], tuple[int, ...]]:
        """`row(item)` made safe, and the widths of its cells."""
        cache = self.rows.cache
        entry = cache.get(key)
        if entry is None:
            old = self.previous.get(key)
            if old is not None and (old[0] is item or old[0] == item):
                entry = old
            else:
                safe = tuple(safe_cell(value) for value in row(item))
                entry = (item, safe, tuple(cell_width(value) for value in safe))
            cache[key] = entry
        return entry[1], entry[2]

    def add(self, key: str, cells: tuple[str | Text, ...], cell_widths: Sequence[int]) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        self.rows.keys.append(key)
        self.rows.cells.append(cells)
        widths = self.rows.widths
        for index, width in enumerate(cell_widths):
            if width > widths[index]:
                widths[index] = width
        return True


Job = tuple[Callable[[], Rows], Callable[[Rows], None] | None]  # (build, then)


@dataclass
class Column:
    key: str
    label: Text
    content_width: int


class VirtualTable(ScrollView, can_focus=True):
    """Rows of cells with a row cursor; `set_rows` replaces them all and keeps the cursor's key."""

    DEFAULT_CSS = DataTable.DEFAULT_CSS.replace("DataTable", "VirtualTable")
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "datatable--header",
        "datatable--cursor",
        "datatable--even-row",
        "datatable--odd-row",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("right", "scroll_right", "Cursor right", show=False),
        Binding("left", "scroll_left", "Cursor left", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+home", "scroll_top", "Top", show=False),
        Binding("ctrl+end", "scroll_bottom", "Bottom", show=False),
        Binding("home", "scroll_home", "Home", show=False),
        Binding("end", "scroll_end", "End", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=False, init=False)
    # Counts `show_rows` whose rows are in the table (the next frame shows them): to watch.
    rendered: reactive[int] = reactive(0, init=False, repaint=False)
    zebra_stripes = True

    class _RowMessage(Message):
        def __init__(self, table: VirtualTable, cursor_row: int, row_key: str) -> None:
            super().__init__()
            self.data_table = table
            self.cursor_row = cursor_row
            self.row_key = RowKey(row_key)  # as DataTable's: `.value` is the key

        @property
        def control(self) -> VirtualTable:
            return self.data_table

    class RowSelected(_RowMessage):
        """Enter, or a click on the cursor's row."""

    class RowHighlighted(_RowMessage):
        """The cursor moved to another row."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.columns: dict[str, Column] = {}
        self.row_keys: list[str] = []
        self.row_cells: list[Sequence[str | Text]] = []
        self._index: dict[str, int] = {}
        self._building = False  # a build runs in a thread
        self.row_cache: RowCache = {}  # the rows shown, for the next build to reuse
        self._waiting: Job | None = None  # the latest show_rows that came meanwhile
        self._shown_title: str | None = None

    # -- content --------------------------------------------------------------------------

    def show_title(self, title: str) -> None:
        """Set the border title; setting it repaints the whole table, even when unchanged."""
        if title != self._shown_title:
            self._shown_title = title
            self.border_title = title

    def add_column(self, label: str | Text, key: str) -> None:
        text = Text(label) if isinstance(label, str) else label
        self.columns[key] = Column(key, text, text.cell_len)
        self._resize()

    def relabel(self, key: str, label: Text) -> None:
        column = self.columns[key]
        column.label = label
        column.content_width = max(column.content_width, label.cell_len)
        self._resize()
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self.row_keys)

    @property
    def cursor_key(self) -> str | None:
        if 0 <= self.cursor_row < len(self.row_keys):
            return self.row_keys[self.cursor_row]
        return None

    def set_rows(
        self, keys: list[str], cells: list[Sequence[str | Text]], widths: Sequence[int]
    ) -> None:
        """Show exactly these rows (cells already safe: see `safe_cell`); `widths` are their
        widest cells per column. Columns only widen (as a DataTable's). The cursor stays on
        its key when that is still shown."""
        was = self.cursor_key
        old_keys, old_cells = self.row_keys, self.row_cells
        self.row_keys, self.row_cells = keys, cells
        widened = False
        for column, width in zip(self.columns.values(), widths, strict=False):
            if width > column.content_width:
                column.content_width, widened = width, True
        if widened or keys != old_keys:
            self._index = {}
            self._resize()
            self.refresh()
        else:  # the same rows (a quiet poll): redraw only the lines on screen that changed
            top = int(self.scroll_y)
            for line in range(top, min(top + self.size.height, len(keys))):
                if cells[line] is not old_cells[line] and cells[line] != old_cells[line]:
                    self.refresh_line(line + 1)  # the header is line 0
        row = self.row_index(was) if was is not None else None
        if row is not None:
            if row != self.cursor_row:  # else the view stays where the user scrolled it
                self.move_cursor(row)
        else:
            self._clamp_cursor()

    def show_rows(
        self, build: Callable[[], Rows], count: int, then: Callable[[Rows], None] | None = None
    ) -> None:
        """Show what `build` returns, then `then(rows)`; counts `rendered`. Up to IN_PLACE_ROWS
        (of `count`) it is built here, more in a thread (`build` must not touch Textual). One
        thread at a time: what comes meanwhile waits, only the latest, so a slow build (a loaded
        machine, a short interval) is followed by the newest rows, never starved by newer ones."""
        job = (build, then)
        if self._building:
            self._waiting = job
        elif count <= IN_PLACE_ROWS:
            self._apply(job, build())
        else:
            self._start(job)

    def _start(self, job: Job) -> None:
        self._building = True

        def in_thread() -> None:
            rows = job[0]()
            with suppress(RuntimeError):  # the app closed meanwhile
                self.app.call_from_thread(self._built, job, rows)

        self.run_worker(in_thread, thread=True, group="rows")

    def _built(self, job: Job, rows: Rows) -> None:
        self._building = False
        self._apply(job, rows)
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._start(waiting)

    def _apply(self, job: Job, rows: Rows) -> None:
        if not self.is_mounted:
            return
        self.set_rows(rows.keys, rows.cells, rows.widths)
        self.row_cache = rows.cache
        if job[1] is not None:
            job[1](rows)
        self.rendered += 1

    @property
    def building(self) -> bool:
        """A build runs in a thread (its rows are not shown yet)."""
        return self._building

    def row_index(self, key: str) -> int | None:
        if not self._index and self.row_keys:
            self._index = {k: i for i, k in reversed(list(enumerate(self.row_keys)))}
        return self._index.get(key)

    def get_row_at(self, row: int) -> list[str | Text]:
        return list(self.row_cells[row])

    def _clamp_cursor(self) -> None:
        limit = max(0, len(self.row_keys) - 1)
        if self.cursor_row > limit:
            self.move_cursor(limit)

    def _resize(self) -> None:
        width = sum(column.content_width + 2 * PADDING for column in self.columns.values())
        self.virtual_size = Size(width, len(self.row_keys) + 1)

    # -- cursor -------------------------------------------------------------------------

    def move_cursor(self, row: int, animate: bool = False, scroll: bool = True) -> None:
        row = max(0, min(row, len(self.row_keys) - 1))
        self.cursor_row = row
        if scroll:
            self.scroll_to_cursor(animate)

    def scroll_to_cursor(self, animate: bool = False) -> None:
        region = Region(int(self.scroll_x), self.cursor_row + 1, self.size.width, 1)
        self.scroll_to_region(region, animate=animate, spacing=Spacing(1, 0, 0, 0), force=True)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh()
        key = self.cursor_key
        if key is not None and old != new:
            self.post_message(self.RowHighlighted(self, new, key))

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_down(self) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        self.scroll_relative(y=height, animate=False, force=True)
        self.move_cursor(self.cursor_row + height, scroll=False)

    def action_page_up(self) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        self.scroll_relative(y=-height, animate=False)
        self.move_cursor(self.cursor_row - height, scroll=False)

    def action_scroll_top(self) -> None:
        self.move_cursor(0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(len(self.row_keys) - 1)

    def action_scroll_home(self) -> None:
        self.scroll_x = 0

    def action_scroll_end(self) -> None:
        self.scroll_x = self.max_scroll_x

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, self.cursor_row, key))

    async def on_click(self, event: events.Click) -> None:
        meta = event.style.meta
        row = meta.get("row")
        if not isinstance(row, int) or row < 0:
            return
        chosen = row == self.cursor_row
        self.move_cursor(row, animate=True)
        if chosen:
            self.action_select_cursor()
        event.stop()

    # -- drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        row = -1 if y == 0 else y - 1 + scroll_y
        base = self.rich_style
        if row >= len(self.row_keys):
            return Strip.blank(width, base)
        segments = self._row_segments(row, width)
        return (
            Strip(segments)
            .crop(scroll_x, scroll_x + width)
            .adjust_cell_length(width, base)
            .simplify()
        )

    def _row_segments(self, row: int, width: int) -> list[Segment]:
        """One row as DataTable draws it: each cell Styled(Padding(cell), row + cursor
        style, cursor colours after), with row/column meta for clicks, then the rest of the
        line in the row's style."""
        get_component = self.get_component_rich_style
        if row == -1:
            row_style = self.get_component_styles("datatable--header").rich_style
            cells: Sequence[str | Text] = [column.label for column in self.columns.values()]
        else:
            stripe = "datatable--odd-row" if row % 2 else "datatable--even-row"
            row_style = (
                self.get_component_styles(stripe).rich_style
                if self.zebra_stripes
                else self.rich_style
            )
            cells = self.row_cells[row]
        component = get_component("datatable--cursor") if row == self.cursor_row else Style()
        post = Style.from_color(color=component.color) + Style.from_color(bgcolor=component.bgcolor)
        console = self.app.console
        segments: list[Segment] = []
        used = 0
        for index, (column, value) in enumerate(zip(self.columns.values(), cells, strict=False)):
            pre = row_style + Style.from_meta({"row": row, "column": index}) + component
            pad_style = pre + post
            inner = column.content_width
            used += inner + 2 * PADDING
            segments.append(Segment(" " * PADDING, pad_style))
            if isinstance(value, str):
                text_segments = [Segment(value, pad_style)]
            elif not value.spans:  # Text.render leaves the base style to its caller
                style = console.get_style(value.style) if value.style else None
                text_segments = [Segment(value.plain, pre + style + post if style else pad_style)]
            else:  # the base style as a span, as Rich's own rendering does
                joined = Text().append_text(value)
                text_segments = [
                    Segment(text, pre + style + post if style else pad_style)
                    for text, style, _ in joined.render(console)
                    if text
                ]
            line = Segment.adjust_line_length(text_segments, inner, style=pad_style)
            segments.extend(line)
            segments.append(Segment(" " * PADDING, pad_style))
        if width > used:
            extend = row_style + (component if row == self.cursor_row else Style())
            extend += Style.from_meta({"row": row, "column": 0, "out_of_bounds": True})
            segments.append(Segment(" " * (width - used), extend))
        return segments
