"""VirtualTable: drawn exactly as a DataTable with the same rows, the cursor kept on its key,
thousands of rows built off the event loop, enter/click select, cluster text shown literally."""

from __future__ import annotations

import threading
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from sovtui.tui.widgets.virtual_table import (
    IN_PLACE_ROWS,
    RowBuilder,
    Rows,
    VirtualTable,
    safe_cell,
)
from tests.support.waiting import settle, wait_for

COLUMNS = ("Name", "State", "Node", "Message")
ROWS: list[tuple[str, tuple[Any, ...]]] = [
    (
        f"key-{index}",
        (
            f"worker-{index}",
            Text("ALIVE" if index % 3 else "DEAD", style="green" if index % 3 else "bold red"),
            "节点" if index == 2 else f"{index:08x}",
            "x" * (index * 6),
        ),
    )
    for index in range(12)
]


def built(rows: list[tuple[str, tuple[Any, ...]]]) -> Rows:
    builder = RowBuilder(len(COLUMNS))
    for key, values in rows:
        builder.add(key, *builder.cells_of(key, values, lambda values: values))
    return builder.rows


class Both(App[None]):
    CSS = "DataTable, VirtualTable { height: 10; }"

    def compose(self) -> ComposeResult:
        yield Static("focus parks here", id="park")
        yield DataTable(id="data", cursor_type="row", zebra_stripes=True)
        yield VirtualTable(id="virtual")

    def on_mount(self) -> None:
        data = self.query_one(DataTable)
        virtual = self.query_one(VirtualTable)
        for column in COLUMNS:
            data.add_column(column, key=column)
            virtual.add_column(column, key=column)
        for key, values in ROWS:
            data.add_row(*(safe_cell(value) for value in values), key=key)
        virtual.show_rows(lambda: built(ROWS), len(ROWS))


def lines(widget: Any) -> list[list[tuple[str, Any]]]:
    return [
        [(segment.text, segment.style) for segment in widget.render_line(y)]
        for y in range(widget.size.height)
    ]


async def test_drawn_as_a_datatable_blurred_focused_and_scrolled() -> None:
    app = Both()
    async with app.run_test(size=(70, 30)) as pilot:
        app.set_focus(None)
        await settle(pilot)
        data, virtual = app.query_one(DataTable), app.query_one(VirtualTable)
        assert virtual.size == data.size
        assert lines(virtual) == lines(data)  # neither focused, the cursor on row 0
        data.move_cursor(row=4)
        virtual.move_cursor(4)
        data.focus()
        await settle(pilot)
        focused_data = lines(data)
        assert lines(virtual) != focused_data  # a focused table draws differently
        virtual.focus()
        await settle(pilot)
        assert lines(virtual) == focused_data
        app.set_focus(None)
        data.scroll_to(x=5, y=3, animate=False)
        virtual.scroll_to(x=5, y=3, animate=False)
        await settle(pilot)
        assert virtual.scroll_offset == data.scroll_offset == (5, 3)
        assert lines(virtual) == lines(data)


async def test_cursor_stays_on_its_key_and_columns_only_widen() -> None:
    app = Both()
    async with app.run_test(size=(70, 30)) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        table.move_cursor(5)
        assert table.cursor_key == "key-5"
        widths = [column.content_width for column in table.columns.values()]
        table.show_rows(lambda: built(list(reversed(ROWS))), len(ROWS))
        assert table.cursor_key == "key-5" and table.cursor_row == 6
        table.move_cursor(0)
        table.scroll_to(y=4, animate=False)  # the cursor's row scrolled out of view
        await settle(pilot)
        assert table.scroll_y == 4
        table.show_rows(lambda: built(list(reversed(ROWS))), len(ROWS))  # the same rows again
        await settle(pilot)
        assert table.scroll_y == 4 and table.cursor_row == 0  # the view stays where it was
        table.move_cursor(6)
        table.show_rows(lambda: built(ROWS[:2]), 2)  # its row gone: the cursor stays in range
        assert table.cursor_row == 1 and table.row_count == 2
        assert [column.content_width for column in table.columns.values()] == widths


async def test_thousands_of_rows_are_built_in_a_thread() -> None:
    app = Both()
    async with app.run_test(size=(70, 30)) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        count = IN_PLACE_ROWS * 3
        threads: list[threading.Thread] = []

        def build() -> Rows:
            threads.append(threading.current_thread())
            return built([(f"row-{n}", (f"name-{n}", "", "", "")) for n in range(count)])

        before = table.rendered
        table.show_rows(build, count)
        await wait_for(pilot, lambda: table.rendered > before, what="the rows from the thread")
        assert threads and threads[0] is not threading.main_thread()
        assert table.row_count == count
        table.action_scroll_bottom()
        await settle(pilot)
        last = table.scrollable_content_region.height - 1  # above the horizontal scrollbar
        shown = "".join(segment.text for segment in table.render_line(last))
        assert f"name-{count - 1}" in shown


async def test_enter_and_a_click_on_the_cursor_row_select_it() -> None:
    chosen: list[str | None] = []

    class Chooser(Both):
        def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
            chosen.append(event.row_key.value)

    app = Chooser()
    async with app.run_test(size=(70, 30)) as pilot:
        await settle(pilot)
        table = app.query_one(VirtualTable)
        table.focus()
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: chosen == ["key-2"])
        top = table.region.y
        await pilot.click(VirtualTable, offset=(2, 5))  # header, then rows 0..: row 4
        await settle(pilot)
        assert table.cursor_row == 4 and chosen == ["key-2"]
        await pilot.click(VirtualTable, offset=(2, 5))
        await wait_for(pilot, lambda: chosen == ["key-2", "key-4"])
        assert top == table.region.y


def test_cells_are_literal_and_visible() -> None:
    assert safe_cell("[bold]x[/]") == "[bold]x[/]"  # a str is never parsed as markup
    assert safe_cell("a\x1b[2Jb") == "a␛[2Jb"
    assert safe_cell("a\tb") == "a       b"
    styled = safe_cell(Text("a\tb", style="red"))
    assert isinstance(styled, Text) and styled.plain == "a       b" and styled.style == "red"
    assert safe_cell(3) == "3"


async def test_a_big_first_answer_shows_its_first_rows_before_the_thread_ends() -> None:
    from sovtui.tui.resource_views import Column, ResourceView, ViewData
    from sovtui.tui.widgets.resource_table import PREVIEW_ROWS, ResourceTable

    async def no_fetch(_api: Any) -> ViewData:
        return ViewData([])

    view = ResourceView(
        "rows", "Rows", "rows", (Column("Name", lambda row: row["name"]),), no_fetch, str
    )
    release = threading.Event()

    class Slow(ResourceTable):
        def show_rows(self, build: Any, count: int, then: Any = None) -> None:
            def held() -> Rows:
                if count > IN_PLACE_ROWS:
                    release.wait(10)  # the thread's build ends when the test says so
                return build()

            super().show_rows(held, count, then)

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield Slow(view)

    items = [{"name": f"row-{index}"} for index in range(IN_PLACE_ROWS * 2)]
    app = One()
    async with app.run_test(size=(70, 30)) as pilot:
        table = app.query_one(Slow)
        table.show(items)
        await settle(pilot)
        assert table.row_count == PREVIEW_ROWS and table.border_title == f"Rows ({len(items)})"
        release.set()
        await wait_for(pilot, lambda: table.row_count == len(items), what="every row")
        assert table.selected() == (str(items[0]), items[0])


async def test_the_same_objects_again_are_not_walked_again() -> None:
    from sovtui.tui.resource_views import Column, ResourceView, ViewData
    from sovtui.tui.widgets.resource_table import ResourceTable

    async def no_fetch(_api: Any) -> ViewData:
        return ViewData([])

    walked: list[str] = []  # the rows' ids asked for: each build walks every row

    def row_id(row: dict[str, str]) -> str:
        walked.append(row["name"])
        return row["name"]

    view = ResourceView(
        "rows", "Rows", "rows", (Column("Name", lambda row: row["name"]),), no_fetch, row_id
    )

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield ResourceTable(view)

    items = [{"name": f"row-{index}"} for index in range(50)]
    async with One().run_test(size=(70, 30)) as pilot:
        table = pilot.app.query_one(ResourceTable)
        table.show(items)
        await settle(pilot)
        cells, rendered = list(table.row_cells), table.rendered
        walked.clear()
        table.show(list(items))  # a new list of the very same objects (a remembered answer)
        assert table.rendered == rendered + 1  # counted as shown: a poll's rows are in
        assert table.row_cells == cells and not walked
        changed = [*items[:-1], {"name": "row-new"}]
        table.show(changed)  # one object differs: built again (the others' rows reused)
        await settle(pilot)
        assert table.row_count == 50 and table.selected() is not None
        assert str(table.row_cells[-1][0]) == "row-new" and len(walked) == 50
