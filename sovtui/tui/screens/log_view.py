"""One log, followed live, with its ANSI colours: a node's file, an actor's stdout or stderr
(followed too), or a task's slice of its worker's log (read once: Ray's stream would go on
with the worker's later output). `/` keeps only the lines that match (a regex when it
compiles, else the text), highlighted; `!` inverts the filter; `t` shows each line's arrival
time; `W` wraps long lines; `y` copies the current match or the last line; `w` saves the whole
log. Memory is bounded: the last `log_lines` lines are kept."""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input

from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.log_file import LOG_SAVE_MAX_BYTES, save_log_file
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


@dataclass(frozen=True)
class LogSource:
    """Which log the viewer shows: a node's file, or an actor's or a task's stdout/stderr."""

    node_id: str | None = None
    filename: str | None = None
    actor_id: str | None = None
    task_id: str | None = None
    suffix: str = "out"  # "out" or "err" (actors and tasks)

    @classmethod
    def node_file(cls, node_id: str, filename: str) -> LogSource:
        return cls(node_id=node_id, filename=filename)

    @property
    def follows(self) -> bool:
        """A task's log is its slice of the worker's file: read once, not followed."""
        return self.task_id is None

    @property
    def stream(self) -> str:
        return "stderr" if self.suffix == "err" else "stdout"

    @property
    def label(self) -> str:
        if self.actor_id:
            return f"actor {self.actor_id[:12]} {self.stream}"
        if self.task_id:
            return f"task {self.task_id[:12]} {self.stream}"
        return self.filename or "log"

    @property
    def where(self) -> str:
        if self.filename:
            return f"{self.filename} on {self.node_id}"
        if self.actor_id:
            return f"{self.stream} of actor {self.actor_id}"
        return f"{self.stream} of task {self.task_id}"

    def params(self) -> dict[str, str]:
        """The log's name in `/api/v0/logs/*` terms."""
        if self.filename:
            return {"node_id": self.node_id or "", "filename": self.filename}
        if self.actor_id:
            return {"actor_id": self.actor_id, "suffix": self.suffix}
        return {"task_id": self.task_id or "", "suffix": self.suffix}

    def save_name(self, now: float) -> str:
        if self.filename:
            return node_log_file_name(self.node_id or "", self.filename, now)
        subject = self.actor_id or self.task_id or "log"
        return node_log_file_name(
            "actor" if self.actor_id else "task", f"{subject}.{self.suffix}", now
        )


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

    def __init__(
        self,
        services: Services,
        node_id: str = "",
        filename: str = "",
        *,
        source: LogSource | None = None,
    ) -> None:
        """A node's file (`node_id`, `filename`), or any `source`."""
        super().__init__()
        self.services = services
        self.source = source or LogSource.node_file(node_id, filename)
        self.node_id = self.source.node_id or ""
        self.filename = self.source.label

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
        self.sub_title = visible(self.source.where)
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
        source = self.source
        node_id = source.node_id if source.filename else None
        try:
            if not source.follows:
                text = await api.log_file(
                    task_id=source.task_id, suffix=source.suffix, lines=FIRST_LINES
                )
                log.receive(text)
                log.flush()
                log.border_subtitle = "the task's lines (read once: a task's log is not followed)"
                return
            async for chunk in api.stream_log(
                node_id=node_id,
                filename=source.filename,
                actor_id=source.actor_id,
                suffix=source.suffix,
                lines=FIRST_LINES,
                filter_ansi=False,
            ):
                log.receive(chunk)
        except (DashboardError, ValueError) as error:
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
        """The whole log (the view keeps only the end), streamed into a 0600 file."""
        self.app.notify("saving the whole file…", timeout=3)
        path = locations.data_dir() / "logs" / self.source.save_name(self.services.clock.now())
        try:
            saved = await save_log_file(
                self.services.connection.client,
                self.source.params(),
                f"the log {self.source.where}",
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
