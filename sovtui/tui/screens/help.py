"""`?`: every key binding of the screen underneath, in one modal."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def bindings_table(screen: Screen[object]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True)
    table.add_column("Key", style="bold", no_wrap=True)
    table.add_column("Action")
    seen: set[str] = set()
    # sovtui's own keys (the footer's) first, then the focused widget's navigation keys.
    ordered = sorted(screen.active_bindings.items(), key=lambda item: not item[1].binding.show)
    for key, active in ordered:
        binding = active.binding
        description = binding.description or binding.action
        if description in seen or binding.action in {"help", "dismiss"}:
            continue
        seen.add(description)
        table.add_row(binding.key_display or key, description)
    table.add_row("?", "This help")
    table.add_row("ctrl+p", "Command palette: every action, themes")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, underneath: Screen[object]) -> None:
        super().__init__()
        self._underneath = underneath

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("[b]sovtui keys[/b]   (escape closes)", id="help-title")
            yield Static(bindings_table(self._underneath), id="help-keys")
