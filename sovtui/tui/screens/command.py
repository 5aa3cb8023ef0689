"""k9s's `:` prompt: an Input at the bottom, over the current screen. Tab completes the view
name, up/down walk the history, enter runs the line (the App parses it), escape cancels."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from sovtui.tui.command_line import CommandHistory, command_names, complete, completion
from sovtui.tui.widgets.plain import plain


class CommandScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    CommandScreen { align: left bottom; background: transparent; }
    CommandScreen #command-hints { height: 1; width: 100%; background: $boost; padding: 0 1; }
    CommandScreen #command { dock: bottom; width: 100%; border: tall $accent; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close the command line"),
        Binding("tab", "complete", "Complete", tooltip="Complete the view name"),
        Binding("up", "history(-1)", "Older", show=False, tooltip="The previous command"),
        Binding("down", "history(1)", "Newer", show=False, tooltip="The next command"),
    ]

    def __init__(self, history: CommandHistory, initial: str = "") -> None:
        super().__init__()
        self.history = history
        self.initial = initial
        self._position = len(history.lines)

    def compose(self) -> ComposeResult:
        yield Static(id="command-hints")
        suggester = SuggestFromList(command_names(), case_sensitive=False)
        yield Input(self.initial, placeholder="view [filter]", suggester=suggester, id="command")

    def on_mount(self) -> None:
        self.query_one(Input).border_title = ":"
        self._show_hints(self.initial)
        self.query_one(Input).focus()

    @property
    def field(self) -> Input:
        return self.query_one("#command", Input)

    def _show_hints(self, line: str) -> None:
        word = line.strip().split(" ")[0] if line.strip() else ""
        names = complete(word) if word else command_names()
        self.query_one("#command-hints", Static).update(
            plain("  ".join(f":{name}" for name in names) or "no view starts with " + repr(word))
        )

    @on(Input.Changed, "#command")
    def _changed(self, event: Input.Changed) -> None:
        self._show_hints(event.value)

    @on(Input.Submitted, "#command")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_complete(self) -> None:
        line = self.field.value
        completed = completion(line)
        if completed is not None:
            self.field.value = completed + " "
            self.field.cursor_position = len(self.field.value)

    def action_history(self, step: int) -> None:
        lines = self.history.lines
        if not lines:
            return
        self._position = max(0, min(len(lines), self._position + step))
        self.field.value = lines[self._position] if self._position < len(lines) else ""
        self.field.cursor_position = len(self.field.value)
