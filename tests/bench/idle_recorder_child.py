"""Child process: the real TUI in a terminal, polling a replicated N-node cluster every 2 s
with the flight recorder on (issue 13's idle target: <= 1% of a core at 100 nodes).

The answers are the recorded Ray 2.60 ones served in-process by an httpx mock transport (the
summary replicated to N nodes, as the 1000-node benchmark does): the parse, the render and the
recording are the real ones; only the network round trip is missing.
"""

from __future__ import annotations

import sys
import time

import httpx

from sovtui.cluster.connect import MODE_ATTACHED, Connection
from sovtui.ray_api.client import DashboardClient
from sovtui.settings.model import HistorySettings, Settings
from tests.support.app_factory import make_app
from tests.support.recorded_ray import RAY_260, RecordedRay, replicated_summary
from tests.support.tokens import no_token

if __name__ == "__main__":
    nodes = int(sys.argv[1])
    record = sys.argv[2:] != ["off"]  # `off`: the same without the recorder, for reference
    body = replicated_summary(RAY_260, nodes)
    recorded = RecordedRay()
    recorded.override["/nodes"] = lambda request: httpx.Response(
        200, content=body, headers={"content-type": "application/json"}
    )
    # The wall clock (each poll its own time in the recording), polls every 2 s, recorder on.
    client = DashboardClient(
        "http://127.0.0.1:8265", no_token(), transport=recorded.transport(), clock=time.time
    )
    connection = Connection(client, MODE_ATTACHED, "--address")
    settings = Settings(interval=2.0, history=HistorySettings(record=record))
    app = make_app(connection, settings, clock=time.time)
    app.run()
