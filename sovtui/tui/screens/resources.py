"""The explorer's resource screen (one class for every view in resource_views.VIEWS) and the
detail screen `enter` opens. Polled by a Poller only while the screen is shown."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from sovtui.monitor.cluster_feed import describe_dashboard_error
from sovtui.monitor.link_state import LinkState
from sovtui.monitor.poller import Poller
from sovtui.ray_api.state import StateApi
from sovtui.tui.command_line import command_names
from sovtui.tui.loops import start_loop
from sovtui.tui.resource_views import VIEWS, ResourceView, ViewData
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.connection_banner import ConnectionBanner
from sovtui.tui.widgets.plain import plain
from sovtui.tui.widgets.resource_table import ResourceTable

POLL_GROUP = "view-poll"  # the resource screens' polling loops (never finish by design)
LOG_KINDS = ("actors", "tasks")  # the views whose rows have a log of their own (`l`, `e`)


def tab_bar(current: str) -> Text:
    """The views as a tab bar: `:actors  :tasks ...`, the current one highlighted."""
    text = Text(" ")
    for name in (*VIEWS, "jobs", "nodes"):
        if name not in command_names():
            continue
        style = "reverse bold" if name == current else "dim"
        text.append(f":{name}", style=style)
        text.append("  ")
    text.append("1-4 modes  : command", style="dim italic")
    return text


class ResourceScreen(Screen[None]):
    """One resource view: tab bar, error banner, summary, the table, Ray's notes."""

    DEFAULT_CSS = """
    ResourceScreen { layout: vertical; }
    ResourceScreen #tabs { height: 1; background: $boost; }
    ResourceScreen #summary { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    ResourceScreen #hidden { padding: 1 2; color: $warning; }
    ResourceScreen #notes { height: auto; max-height: 3; padding: 0 1; color: $warning; }
    ResourceScreen ResourceTable { height: 1fr; border: round $primary 40%; }
    ResourceScreen ResourceTable:focus { border: round $accent; }
    ResourceScreen #filter { dock: bottom; display: none; }
    ResourceScreen #filter.-shown { display: block; }
    """

    BINDINGS = [
        Binding(
            "colon",
            "app.command_mode",
            "Command",
            key_display=":",
            tooltip="Open another view by name: :actors, :tasks FAILED, :pg ...",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            tooltip="Filter the rows: text, a regex, or !text for the rows without it",
        ),
        Binding(
            "s",
            "sort",
            "Sort",
            tooltip="Sort by a column: a menu of the columns (a digit picks one; again: reverse)",
        ),
        Binding("S", "reverse_sort", "Reverse", tooltip="Reverse the sort order"),
        Binding("r", "refresh_view", "Refresh", tooltip="Poll this view now"),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            show=False,
            tooltip="Remove the row filter",
        ),
    ]

    def __init__(self, services: Services, view: ResourceView) -> None:
        super().__init__()
        self.services = services
        self.view = view
        self.api = StateApi(services.connection.client)
        self.poller: Poller[ViewData] = Poller(
            self._fetch,
            max(services.settings.interval, view.min_interval),
            max_backoff=max(30.0, services.settings.interval, view.min_interval),
            describe=describe_dashboard_error,
            wanted=self._wanted,
            clock=services.clock,
        )
        self.latest: ViewData | None = None
        self._first: asyncio.Future[ViewData] | None = None  # the first poll, sent at compose
        self._skipped = False  # a tick came while hidden: poll once when shown again

    async def _fetch(self) -> ViewData:
        first, self._first = self._first, None
        if first is not None:
            return await first
        return await self.view.fetch(self.api)

    def compose(self) -> ComposeResult:
        if self.services.poll and self.latest is None:
            # The first request goes out now, not after the empty screen's first frame (~20-30
            # ms of styles and layout later): its answer is often in that frame already.
            self._first = asyncio.ensure_future(self.view.fetch(self.api))
        yield Header(show_clock=False, icon="◆")
        yield Static(tab_bar(self.view.name), id="tabs")
        yield ConnectionBanner(self.services.clock.monotonic, id="banner")
        yield Static(id="summary")
        yield Static(id="hidden")
        yield ResourceTable(self.view, id="table")
        yield Static(id="notes")
        yield Input(
            placeholder="filter: text, regex, !inverse (enter: keep, esc: clear)", id="filter"
        )
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.title = f"sovtui · {self.view.title}"
        for widget_id in ("#summary", "#hidden", "#notes"):
            self.query_one(widget_id).display = False
        self.poller.subscribe(self._show, self._show_link)
        first = self._first
        if first is not None and first.done() and not first.cancelled() and not first.exception():
            self._show(first.result())  # in the first frame; the poller publishes it again
        if self.services.poll:
            start_loop(self, self.poller.run, POLL_GROUP)
        self.table.focus()

    def on_unmount(self) -> None:
        if self._first is not None:
            self._first.cancel()
            self._first = None

    def on_screen_resume(self) -> None:
        if self._skipped and self.latest is not None:
            self._skipped = False
            self.poller.poll_now()  # shown again: fresh rows now, not at the next tick

    def _wanted(self) -> bool:
        """Poll only while these rows are on screen: this screen on top, or under screens
        that let it show through (a menu, the command line). Not under its detail screen or a
        log viewer: Textual's `is_current` stays true for the screen just under the top one."""
        try:
            stack = self.app.screen_stack
        except Exception:  # not mounted yet, or the app is closing
            return False
        if self not in stack:
            self._skipped = True
            return False
        above = stack[stack.index(self) + 1 :]
        shown = all(screen.styles.background.a < 1 for screen in above)
        self._skipped = self._skipped or not shown
        return shown

    @property
    def table(self) -> ResourceTable:
        return self.query_one(ResourceTable)

    # -- what the poller publishes ------------------------------------------------------------

    def _show(self, data: ViewData) -> None:
        if data is self.latest:
            return  # the first answer, shown at mount and published by the poller again
        self.latest = data
        hidden = self.query_one("#hidden", Static)
        hidden.display = bool(data.hidden)
        hidden.update(plain(f"{self.view.title}: {data.hidden}"))
        self.table.display = not data.hidden
        summary = self.query_one("#summary", Static)
        summary.display = bool(data.summary)
        head, *rest = data.summary or [""]
        summary.update(
            plain("\n".join([head, "  ·  ".join(rest)] if rest else [head]), multiline=True)
        )
        self.table.show(data.items, data.total)
        notes = self.query_one("#notes", Static)
        notes.display = bool(data.notes)
        notes.update(plain("\n".join(data.notes), multiline=True))

    def _show_link(self, link: LinkState) -> None:
        self.query_one(ConnectionBanner).show_link(link)

    # -- for the actions (kill, copy): what the cursor is on ----------------------------------

    def selected(self) -> tuple[str, str, Any] | None:
        """(kind, id, row) under the cursor: `kind` is the State API kind ("actors"...)."""
        chosen = self.table.selected()
        if chosen is None:
            return None
        return self.view.kind, chosen[0], chosen[1]

    # -- keys ---------------------------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        """The `/` filter (also `:view TEXT`)."""
        field = self.query_one("#filter", Input)
        field.value = text
        field.set_class(bool(text), "-shown")
        self.table.set_filter(text)

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.add_class("-shown")
        field.focus()

    def action_clear_filter(self) -> None:
        self.set_filter("")
        self.table.focus()

    def action_sort(self) -> None:
        from sovtui.tui.screens.sort_menu import SortMenu, SortPick

        table = self.table

        def chosen(pick: SortPick | None) -> None:
            if pick is not None:
                table.sort_by(*pick)

        titles = [column.title for column in self.view.columns]
        self.app.push_screen(SortMenu(titles, table.sort_column, table.sort_reverse), chosen)

    def action_reverse_sort(self) -> None:
        self.table.reverse_sort()

    def action_refresh_view(self) -> None:
        self.poller.poll_now()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.input.set_class(bool(event.value), "-shown")
        self.table.focus()

    @on(ResourceTable.RowSelected, "#table")
    def _row_chosen(self, event: ResourceTable.RowSelected) -> None:
        chosen = self.table.selected()
        if chosen is not None:
            self.app.push_screen(
                DetailScreen(self.api, self.view, chosen[0], chosen[1], services=self.services)
            )


class DetailScreen(Screen[None]):
    """One row in full, fetched with detail for this row only."""

    DEFAULT_CSS = """
    DetailScreen #detail-box { border: round $primary 40%; padding: 0 1; }
    DetailScreen #detail-status { height: auto; padding: 0 1; color: $warning; }
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the list"),
        Binding(
            "l",
            "log('out')",
            "Log",
            tooltip="The actor's stdout, followed live, or the task's stdout lines",
        ),
        Binding(
            "e",
            "log('err')",
            "Stderr",
            tooltip="The actor's stderr, followed live, or the task's stderr lines",
        ),
    ]

    def __init__(
        self,
        api: StateApi,
        view: ResourceView,
        row_id: str,
        item: Any,
        *,
        services: Services | None = None,
    ) -> None:
        """`services`: for the log viewer (`l`, `e`) of an actor or a task."""
        super().__init__()
        self.api = api
        self.view = view
        self.row_id = row_id
        self.item = item
        self.services = services
        self.fields: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static(plain("loading…"), id="detail-status")
        with VerticalScroll(id="detail-box"):
            yield Static(id="detail")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.title = f"sovtui · {self.view.title} · {self.row_id}"
        self.query_one("#detail-box").border_title = plain(f"{self.view.title[:-1]} {self.row_id}")
        self._load()

    @work(group="detail", exit_on_error=False)
    async def _load(self) -> None:
        status = self.query_one("#detail-status", Static)
        detail = self.view.detail
        try:
            if detail is None:
                from sovtui.tui.resource_views import fields_of

                fields = fields_of(self.item)
            else:
                fields = await detail(self.api, self.item)
        except Exception as error:  # any failure is one line, never a crash
            _state, message = describe_dashboard_error(error)
            status.update(plain(message))
            return
        self.fields = fields
        status.display = False
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for key, value in fields:
            grid.add_row(plain(key), plain(value, multiline=True))
        self.query_one("#detail", Static).update(grid)

    # -- the log of an actor or a task --------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "log":
            return self.services is not None and self.view.kind in LOG_KINDS
        return True

    def action_log(self, suffix: str) -> None:
        from sovtui.tui.screens.log_view import LogSource, LogViewScreen

        if self.services is None or self.view.kind not in LOG_KINDS:
            return
        if self.view.kind == "actors":
            source = LogSource(actor_id=self.row_id, suffix=suffix)
        else:
            source = LogSource(task_id=self.row_id, suffix=suffix)
        self.app.push_screen(LogViewScreen(self.services, source=source))
