"""Child process for the first-frame benchmark: paint once, print a marker, exit.

`bare` is the reference: a plain Textual app with Header, DataTable and Footer.
`sovtui` is the real SovtuiApp over recorded Ray answers (no network wait in the measurement).
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
    from sovtui.app import SovtuiApp
    from sovtui.config import Settings
    from sovtui.connect import MODE_ATTACHED, Connection
    from sovtui.ray_api.auth import find_token
    from sovtui.ray_api.client import DashboardClient
    from tests.recorded import RecordedRay

    # What `sovtui --address URL` builds, over recorded answers (no network wait measured).
    transport = RecordedRay().transport()
    client = DashboardClient("http://127.0.0.1:8265", find_token(), transport=transport)
    connection = Connection(client, MODE_ATTACHED, "--address")

    class Measured(SovtuiApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(self._painted)

        def _painted(self) -> None:
            print("PAINTED", flush=True)
            self.exit()

    Measured(connection, Settings()).run(headless=True, size=(120, 40))


if __name__ == "__main__":
    run_bare() if sys.argv[1] == "bare" else run_sovtui()
