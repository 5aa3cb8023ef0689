"""A node's log files (enter on a node): pick one, it opens in the log viewer."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.state import StateApi
from sovtui.support.safe_text import visible
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.plain import plain


class NodeLogsScreen(Screen[None]):
    CSS_PATH = "pending.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Return to the previous screen"),
        Binding("y", "copy_name", "Copy name", tooltip="Copy the selected file's name (OSC 52)"),
    ]

    def __init__(self, services: Services, node_id: str) -> None:
        super().__init__()
        self.services = services
        self.node_id = node_id
        self.files: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static("listing log files…", id="pending-summary")
        yield OptionList(id="node-log-files")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.sub_title = visible(f"node {self.node_id}")
        self.query_one(OptionList).focus()
        self._list()

    @work(exclusive=True, group="node-logs", exit_on_error=False)
    async def _list(self) -> None:
        summary = self.query_one("#pending-summary", Static)
        try:
            listing = await StateApi(self.services.connection.client).node_logs(self.node_id)
        except DashboardError as error:
            summary.update(plain(f"cannot list the logs: {error}", "bold red"))
            return
        files = [
            name for _, names in sorted(listing.items()) for name in names if not name.endswith("/")
        ]
        self.files = files
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(plain(name), id=name) for name in files])
        if files:
            options.highlighted = 0
        summary.update(plain(f"{len(files)} log files on node {self.node_id}"))

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            from sovtui.tui.screens.log_view import LogViewScreen

            self.app.push_screen(LogViewScreen(self.services, self.node_id, event.option.id))

    def action_copy_name(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and self.files:
            name = self.files[options.highlighted]
            self.app.copy_to_clipboard(name)
            self.notify(f"copied {visible(name)}", timeout=2)

    def action_back(self) -> None:
        self.app.pop_screen()
