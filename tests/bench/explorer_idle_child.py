"""Child process: the real TUI in a terminal on the explorer's Actors view (`:actors`),
polling a real cluster every 2 s. Run by tests.bench.explorer_idle."""

from __future__ import annotations

import sys
from pathlib import Path

from sovtui.cluster.connect import open_connection
from sovtui.ray_api.auth import explicit_token
from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from tests.support.app_factory import make_app


class OnActors(SovtuiApp):
    def on_mount(self) -> None:
        self.call_after_refresh(lambda: self.run_worker(self._to_actors()))

    async def _to_actors(self) -> None:
        await self.run_command("actors")
        # What the bench checks: the screen shown is the Actors view.
        Path(sys.argv[3]).write_text(getattr(getattr(self.screen, "view", None), "name", ""))


if __name__ == "__main__":
    address, token = sys.argv[1], sys.argv[2]
    settings = Settings(interval=2.0)
    connection = open_connection(
        settings, cli_address=address, token=explicit_token(token, "bench")
    )
    make_app(connection, settings, app_class=OnActors).run()
