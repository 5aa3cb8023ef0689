"""The keys of a log view, shared by the node log viewer and the Job screen: `/` filter (regex
when it compiles), `!` invert, `t` arrival times, `W` wrap. The screen holds one LogPane and
an Input with id `job-search`."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from sovtui.tui.widgets.log_pane import LogPane


def log_bindings(*, show_modes: bool = True) -> list[Binding]:
    """The log keys; `show_modes=False` keeps `!`, `t` and `W` out of the footer (a crowded
    one: the Job screen), still in the palette and the help."""
    return [
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            tooltip="Keep only the lines that match, highlighted (regex when it compiles)",
        ),
        Binding(
            "exclamation_mark",
            "invert",
            "Invert",
            key_display="!",
            show=show_modes,
            tooltip="Keep the lines that do not match instead",
        ),
        Binding("t", "timestamps", "Times", show=show_modes, tooltip="Show when each line arrived"),
        Binding(
            "W", "wrap", "Wrap", show=show_modes, tooltip="Wrap long lines to the width of the view"
        ),
    ]


class LogKeys(Screen[None]):
    """Screen base with the log keys' actions (BINDINGS of a subclass add `log_bindings()`)."""

    @property
    def pane(self) -> LogPane:
        return self.query_one(LogPane)

    def filter_input(self) -> Input:
        return self.query_one("#job-search", Input)

    def action_filter(self) -> None:
        search = self.filter_input()
        search.value = self.pane.query_text
        search.display = True
        search.focus()

    @on(Input.Submitted, "#job-search")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.pane.focus()
        self.set_filter(event.value)
        self.filtered()

    def filtered(self) -> None:
        """After a filter is submitted (the Job screen jumps to the first match)."""

    def set_filter(self, query: str, *, inverted: bool | None = None) -> None:
        self.pane.set_filter(query, inverted=inverted)

    def action_invert(self) -> None:
        self.set_filter(self.pane.query_text, inverted=not self.pane.inverted)

    def action_timestamps(self) -> None:
        self.pane.toggle_timestamps()

    def action_wrap(self) -> None:
        self.pane.toggle_wrap()
        self.notify(f"wrap {'on' if self.pane.wrap else 'off'}", timeout=2)

    def close_filter(self) -> bool:
        """Esc: close the filter line if open; True when it was."""
        search = self.filter_input()
        if search.display:
            search.display = False
            self.pane.focus()
            return True
        return False
