"""The one place where tests build a `SovtuiApp` (the `app_factory` fixture calls `make_app`).

When the way the App receives its services changes, `make_app` is the function to change.
"""

from __future__ import annotations

from typing import Unpack

from sovtui.cluster.connect import Connection
from sovtui.settings.model import Settings
from sovtui.tui import app as tui_app
from sovtui.tui.app import SovtuiApp
from sovtui.tui.services import ServiceOptions, build_services
from tests.support.clocks import frozen_now
from tests.support.recorded_ray import RecordedRay, recorded_connection

# What a test may set besides the connection and the settings: the services' own options.
AppOptions = ServiceOptions


def make_app(
    connection: Connection | None = None,
    settings: Settings | None = None,
    *,
    recorded: RecordedRay | None = None,
    app_class: type[SovtuiApp] = SovtuiApp,
    **options: Unpack[AppOptions],
) -> SovtuiApp:
    """A `SovtuiApp` (or `app_class`) as the CLI would build it.

    Without a connection it watches the recorded Ray 2.60 answers (`recorded`, else a fresh
    `RecordedRay`) with the wall clock frozen at FROZEN_NOW unless `clock` says otherwise.
    """
    if connection is None:
        connection = recorded_connection(recorded if recorded is not None else RecordedRay())
        options.setdefault("clock", frozen_now)
    settings = settings if settings is not None else Settings()
    if app_class is SovtuiApp:
        return tui_app.make_app(connection, settings, **options)
    return app_class(build_services(connection, settings, **options))


class AppFactory:
    """The `app_factory` fixture: `make_app` answered by the test's `recorded_ray` by default."""

    def __init__(self, recorded: RecordedRay) -> None:
        self.recorded = recorded

    def __call__(
        self,
        connection: Connection | None = None,
        settings: Settings | None = None,
        *,
        recorded: RecordedRay | None = None,
        **options: Unpack[AppOptions],
    ) -> SovtuiApp:
        if connection is None and recorded is None:
            recorded = self.recorded
        return make_app(connection, settings, recorded=recorded, **options)
