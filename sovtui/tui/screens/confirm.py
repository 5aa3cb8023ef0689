"""A yes/no question in a modal: y or enter confirms, n or escape declines."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from sovtui.tui.widgets.plain import plain


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "confirm.tcss"  # this screen's styles load with it, not at start-up
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str | Text, detail: str = "") -> None:
        """A `str` question is shown literally, in bold (it may name a job or a project)."""
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            question = self.question
            if isinstance(question, str):
                question = plain(question, "bold", multiline=True)
            yield Static(question, id="confirm-question")
            if self.detail:
                yield Static(plain(self.detail, multiline=True), id="confirm-detail")
            yield Static("[b]y[/b] yes    [b]n[/b] no", id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
