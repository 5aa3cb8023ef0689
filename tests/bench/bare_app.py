"""The first-frame benchmark's reference: a bare Textual app (Header, DataTable, Footer)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable()
        yield Footer()


if __name__ == "__main__":
    Bare().run()
