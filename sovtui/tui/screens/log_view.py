"""One log file of a node, followed live, with its ANSI colours: `/` keeps only the lines that
match (a regex when it compiles, else the text), highlighted; `!` inverts the filter; `t` shows
each line's arrival time; `W` wraps long lines; `y` copies the current match or the last line;
`w` saves the whole file. Memory is bounded: the last `log_lines` lines are kept."""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input

from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.log_file import LOG_SAVE_MAX_BYTES, save_node_log
from sovtui.ray_api.state import StateApi
from sovtui.support import locations
from sovtui.support.safe_text import visible
from sovtui.tui.screens.log_keys import LogKeys, log_bindings
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.log_pane import LogPane
from sovtui.tui.widgets.plain import plain

FIRST_LINES = 1000  # the file's last lines shown before following


def node_log_file_name(node_id: str, filename: str, now: float) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", f"{node_id[:12]}-{filename}")[:120] or "log"
    return f"{safe}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}.log"


class LogViewScreen(LogKeys):
    CSS_PATH = "job.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Close the filter, else go back"),
        *log_bindings(),
        Binding(
            "y", "copy_line", "Copy line", tooltip="Copy the current match or last line (OSC 52)"
        ),
        Binding("w", "save_log", "Save log", tooltip="Write the whole file to a private file"),
    ]
    save_max_bytes = LOG_SAVE_MAX_BYTES

    def __init__(self, services: Services, node_id: str, filename: str) -> None:
        super().__init__()
        self.services = services
        self.node_id = node_id
        self.filename = filename

    @property
    def lines(self) -> deque[tuple[float, str]]:
        """The lines received, with their arrival times (bounded)."""
        return self.pane.received

    @property
    def query_text(self) -> str:
        return self.pane.query_text

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield LogPane(
            id="job-log",
            max_lines=self.services.settings.log_lines,
            clock=self.services.clock.now,
            label=self.filename,
        )
        yield Input(placeholder="filter (regex or text; enter: apply, esc: close)", id="job-search")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.sub_title = visible(f"{self.filename} on {self.node_id}")
        self.query_one("#job-search").display = False
        log = self.pane
        log.border_title = plain(self.filename)
        log.focus()
        self._follow()

    # -- reading ------------------------------------------------------------------------------

    @work(exclusive=True, group="log-view", exit_on_error=False)
    async def _follow(self) -> None:
        log = self.pane
        api = StateApi(self.services.connection.client)
        try:
            async for chunk in api.stream_log(
                node_id=self.node_id, filename=self.filename, lines=FIRST_LINES, filter_ansi=False
            ):
                log.receive(chunk)
        except DashboardError as error:
            log.border_subtitle = plain(f"log unavailable: {error}")
            return
        log.flush()
        log.border_subtitle = "end of stream"

    def receive(self, chunk: str) -> None:
        self.pane.receive(chunk)

    # -- keys ---------------------------------------------------------------------------------

    def action_copy_line(self) -> None:
        line = self.pane.current_line()
        if line is None:
            self.notify("no line to copy", severity="warning", timeout=2)
            return
        self.app.copy_to_clipboard(line)
        self.notify("copied the line", timeout=2)

    def action_save_log(self) -> None:
        self._save_log()

    @work(exclusive=True, group="log-save", exit_on_error=False)
    async def _save_log(self) -> None:
        """The whole file (the view keeps only the end), streamed into a 0600 file."""
        self.app.notify("saving the whole file…", timeout=3)
        name = node_log_file_name(self.node_id, self.filename, self.services.clock.now())
        path = locations.data_dir() / "logs" / name
        try:
            saved = await save_node_log(
                self.services.connection.client,
                self.node_id,
                self.filename,
                path,
                max_bytes=self.save_max_bytes,
            )
        except (DashboardError, OSError) as error:
            self.app.notify(f"log not saved: {error}", severity="error", timeout=10)
            return
        except asyncio.CancelledError:
            self.app.notify("log not saved: the log view was closed", severity="warning")
            raise
        self.app.notify(
            f"{saved.lines:,} lines ({saved.size:,} bytes) saved to {saved.path}", timeout=10
        )

    def action_back(self) -> None:
        if not self.close_filter():
            self.app.pop_screen()
