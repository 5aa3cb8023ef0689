"""Child process: the real TUI in a terminal, polling a real one-node cluster every 2 s."""

from __future__ import annotations

import sys

from sovtui.cluster.connect import open_connection
from sovtui.ray_api.auth import explicit_token
from sovtui.settings.model import Settings
from sovtui.tui.app import make_app

if __name__ == "__main__":
    address, token = sys.argv[1], sys.argv[2]
    settings = Settings(interval=2.0)
    connection = open_connection(
        settings, cli_address=address, token=explicit_token(token, "bench")
    )
    make_app(connection, settings).run()
