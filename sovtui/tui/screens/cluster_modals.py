"""Keyboard-only modals of the Cluster screen: start a cluster, confirm, a container's logs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Log, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from sovtui.cluster.driver_api import ClusterDriver
from sovtui.support.safe_text import log_lines, visible
from sovtui.tui.widgets.plain import plain

MAX_WORKERS = 64


@dataclass(frozen=True)
class UpRequest:
    file: Path
    workers: int


class UpScreen(ModalScreen[UpRequest | None]):
    """Pick a Compose file (arrows, enter), then the worker count (enter starts)."""

    CSS_PATH = "cluster.tcss"  # this screen's styles load with it, not at start-up

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, project: str, files: list[Path], chosen: Path | None, workers: int) -> None:
        super().__init__()
        self._project = project
        self._files = files
        self._chosen = chosen
        self._workers = workers

    def compose(self) -> ComposeResult:
        with Vertical(id="up-box", classes="modal-box"):
            yield Static(
                Text.assemble(
                    ("Start a Ray cluster", "bold"), " · project ", plain(self._project, "bold")
                )
            )
            yield Label("Compose file (↑/↓, enter)")
            yield OptionList(
                *(Option(plain(path.name), id=str(path)) for path in self._files), id="up-files"
            )
            with Horizontal(id="up-workers-row"):
                yield Label("Workers ", id="up-workers-label")
                yield Input(str(self._workers), type="integer", id="up-workers")
            yield Static("", id="up-error")
            yield Static("enter start · tab next field · esc cancel", classes="modal-hint")

    def on_mount(self) -> None:
        files = self.query_one(OptionList)
        if self._chosen in self._files:
            files.highlighted = self._files.index(self._chosen)
        elif self._files:
            files.highlighted = 0
        files.focus()

    @on(OptionList.OptionSelected)
    def _file_picked(self) -> None:
        self.query_one("#up-workers", Input).focus()

    @on(Input.Submitted)
    def _submit(self) -> None:
        files = self.query_one(OptionList)
        error = self.query_one("#up-error", Static)
        if files.highlighted is None:
            error.update("pick a Compose file first")
            files.focus()
            return
        text = self.query_one("#up-workers", Input).value.strip()
        workers = int(text) if text.lstrip("-").isdigit() else -1
        if not 0 <= workers <= MAX_WORKERS:
            error.update(f"workers: a whole number from 0 to {MAX_WORKERS}")
            return
        self.dismiss(UpRequest(self._files[files.highlighted], workers))

    def action_cancel(self) -> None:
        self.dismiss(None)


class LogsScreen(ModalScreen[None]):
    """The last lines of one container's log; r fetches them again."""

    CSS_PATH = "cluster.tcss"  # this screen's styles load with it, not at start-up

    BINDINGS = [
        Binding("escape,q", "dismiss", "Close"),
        Binding("r", "reload", "Refresh"),
    ]

    @dataclass
    class Fetched(Message):
        text: str
        error: str | None = None

    def __init__(self, driver: ClusterDriver, name: str, tail: int = 200) -> None:
        super().__init__()
        self._driver = driver
        self._container = name
        self._tail = tail

    def compose(self) -> ComposeResult:
        with Vertical(id="logs-box", classes="modal-box"):
            yield Log(id="logs", highlight=False)
            yield Static("r refresh · esc close", classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one(Log).border_title = plain(f"{self._container}: last {self._tail} lines")
        self.action_reload()

    def action_reload(self) -> None:
        self.query_one(Log).border_subtitle = "fetching…"
        self._fetch()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _fetch(self) -> None:
        try:
            text = self._driver.logs(self._container, self._tail)
        except Exception as error:  # shown in the modal, never a traceback
            self.post_message(self.Fetched("", f"{type(error).__name__}: {error}"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Fetched(text))

    @on(Fetched)
    def _show(self, message: Fetched) -> None:
        log = self.query_one(Log)
        log.clear()
        if message.error:
            log.write_line(visible(message.error))
            log.border_subtitle = "failed"
            return
        # A container's output is the cluster's: escapes dropped, controls made visible.
        lines = log_lines(message.text.splitlines())
        log.write_lines(lines or ["(no output yet)"])
        log.border_subtitle = f"{len(lines)} lines · r refresh"
