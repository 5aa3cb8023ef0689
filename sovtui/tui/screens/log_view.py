"""One log file of a node, followed live: `/` keeps only the lines that match (a regex when it
compiles, else the text), highlighted; `!` inverts the filter; `t` shows each line's arrival
time; `y` copies the last line shown. Memory is bounded: the last `log_lines` lines are kept."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input

from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.state import StateApi
from sovtui.support.safe_text import visible
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.plain import plain
from sovtui.tui.widgets.search_log import SearchLog, compile_query

FIRST_LINES = 1000  # the file's last lines shown before following


def stamp(arrived: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(arrived))


class LogViewScreen(Screen[None]):
    CSS_PATH = "job.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Close the filter, else go back"),
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            tooltip="Keep only the lines that match (regex when it compiles)",
        ),
        Binding(
            "exclamation_mark",
            "invert",
            "Invert",
            key_display="!",
            tooltip="Keep the lines that do not match instead",
        ),
        Binding("t", "timestamps", "Times", tooltip="Show when each line arrived"),
        Binding("y", "copy_line", "Copy line", tooltip="Copy the last line shown (OSC 52)"),
    ]

    def __init__(self, services: Services, node_id: str, filename: str) -> None:
        super().__init__()
        self.services = services
        self.node_id = node_id
        self.filename = filename
        self.lines: deque[tuple[float, str]] = deque(maxlen=max(1, services.settings.log_lines))
        self.query_text = ""
        self.inverted = False
        self.timestamps = False
        self._partial = ""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield SearchLog(id="job-log", max_lines=self.services.settings.log_lines)
        yield Input(placeholder="filter (regex or text; enter: apply, esc: close)", id="job-search")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.sub_title = visible(f"{self.filename} on {self.node_id}")
        self.query_one("#job-search").display = False
        log = self.query_one(SearchLog)
        log.border_title = plain(self.filename)
        log.focus()
        self._follow()

    # -- reading ------------------------------------------------------------------------------

    @work(exclusive=True, group="log-view", exit_on_error=False)
    async def _follow(self) -> None:
        log = self.query_one(SearchLog)
        api = StateApi(self.services.connection.client)
        try:
            async for chunk in api.stream_log(
                node_id=self.node_id, filename=self.filename, lines=FIRST_LINES
            ):
                self.receive(chunk)
        except DashboardError as error:
            log.border_subtitle = plain(f"log unavailable: {error}")
            return
        if self._partial:
            self.receive("\n")
        log.border_subtitle = "end of stream"

    def receive(self, chunk: str) -> None:
        """Text as it arrives: whole lines are kept (and shown when they pass the filter)."""
        text = self._partial + chunk
        *complete, self._partial = text.split("\n")
        if not complete:
            return
        now = self.services.clock.now()
        arrived = [(now, line.rstrip("\r")) for line in complete]
        self.lines.extend(arrived)
        shown = self.shown(arrived)
        if shown:
            self.query_one(SearchLog).add_lines(shown)

    def passes(self, line: str) -> bool:
        pattern = compile_query(self.query_text, regex=True)
        if pattern is None:
            return True
        return (pattern.search(line) is None) == self.inverted

    def shown(self, lines: Iterable[tuple[float, str]]) -> list[str]:
        pattern = compile_query(self.query_text, regex=True)
        result = []
        for arrived, line in lines:
            if pattern is not None and (pattern.search(line) is None) != self.inverted:
                continue
            result.append(f"{stamp(arrived)} {line}" if self.timestamps else line)
        return result

    def redraw(self) -> None:
        log = self.query_one(SearchLog)
        log.release()
        log.clear()
        log.add_lines(self.shown(self.lines))
        # Highlight what matched (nothing to highlight in the lines an inverted filter keeps).
        log.search("" if self.inverted else self.query_text, regex=True)
        log.scroll_end(animate=False)
        log.auto_scroll = True
        count = len(log.all_lines)
        if self.query_text:
            how = "not matching" if self.inverted else "matching"
            log.border_title = plain(
                f"{self.filename} · {count:,} of {len(self.lines):,} lines {how} "
                f"{self.query_text!r}"
            )
        else:
            log.border_title = plain(self.filename)

    # -- keys ---------------------------------------------------------------------------------

    def action_filter(self) -> None:
        search = self.query_one("#job-search", Input)
        search.value = self.query_text
        search.display = True
        search.focus()

    @on(Input.Submitted, "#job-search")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.query_one(SearchLog).focus()
        self.set_filter(event.value)

    def set_filter(self, query: str, *, inverted: bool | None = None) -> None:
        self.query_text = query
        if inverted is not None:
            self.inverted = inverted
        self.redraw()

    def action_invert(self) -> None:
        self.set_filter(self.query_text, inverted=not self.inverted)

    def action_timestamps(self) -> None:
        self.timestamps = not self.timestamps
        self.redraw()

    def action_copy_line(self) -> None:
        log = self.query_one(SearchLog)
        lines = log.all_lines
        if not lines:
            self.notify("no line to copy", severity="warning", timeout=2)
            return
        line = lines[log.matches[log.current]] if log.current >= 0 and log.matches else lines[-1]
        self.app.copy_to_clipboard(line)
        self.notify("copied the line", timeout=2)

    def action_back(self) -> None:
        search = self.query_one("#job-search", Input)
        if search.display:
            search.display = False
            self.query_one(SearchLog).focus()
            return
        self.app.pop_screen()
