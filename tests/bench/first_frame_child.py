"""Child process for the first-frame benchmark: paint once, print a marker, exit.

`bare` is the reference: a plain Textual app with Header, DataTable and Footer.
`sovtui` is the real command line, import of every module it needs included.
"""

from __future__ import annotations

import sys


def run_bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield DataTable()
            yield Footer()

        def on_mount(self) -> None:
            self.call_after_refresh(self._painted)

        def _painted(self) -> None:
            print("PAINTED", flush=True)
            self.exit()

    Bare().run(headless=True, size=(120, 40))


def run_sovtui() -> None:
    """The real command line: `sovtui --address URL`, its App told to paint headless once."""
    import sovtui.app
    from sovtui.cli import main
    from sovtui.cluster.ports import free_port

    class Measured(sovtui.app.SovtuiApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(self._painted)

        def _painted(self) -> None:
            print("PAINTED", flush=True)
            self.exit()

        def run(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
            super().run(headless=True, size=(120, 40))

    sovtui.app.SovtuiApp = Measured  # type: ignore[misc]
    # Nothing listens there: the first poll fails fast, as on a cold login node.
    main(["--address", f"http://127.0.0.1:{free_port()}"])


if __name__ == "__main__":
    run_bare() if sys.argv[1] == "bare" else run_sovtui()
