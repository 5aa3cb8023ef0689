"""`sovtui` / `sovtui run`: open the dashboard; stop an embedded head on exit unless --keep."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from sovtui.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    settings_from_args,
    settings_inputs,
)
from sovtui.cli.validate_ahead import validate_ahead
from sovtui.cluster.connect import open_connection
from sovtui.cluster.embedded_head import EmbeddedHeadError
from sovtui.support.crash_report import crash_line
from sovtui.support.extras import MissingExtra, extra_for_import_error, missing_extra_message

if TYPE_CHECKING:
    from sovtui.cluster.compose.docker_driver import ComposeDriver


def _progress(message: str) -> None:
    print(f"sovtui: {message}", file=sys.stderr, flush=True)


def _compose_driver(project: str) -> ComposeDriver:
    # Lazy: the Docker SDK loads (and connects) on first use, in the Cluster screen's worker,
    # so it never delays the dashboard's first frame.
    try:
        from sovtui.cluster.compose.docker_driver import ComposeDriver
    except ModuleNotFoundError as error:
        if extra_for_import_error(error) is None:
            raise
        raise MissingExtra(missing_extra_message(str(error.name), "Compose clusters")) from None
    return ComposeDriver(project)


def run_tui(args: argparse.Namespace) -> int:
    # Changed settings or themes are validated in a child process meanwhile (see the module).
    validated = validate_ahead(*settings_inputs(args))
    from sovtui.tui.app import SovtuiApp  # Textual loads only when the TUI is wanted

    validated()
    settings = settings_from_args(args)
    try:
        connection = open_connection(
            settings, cli_address=getattr(args, "address", None), progress=_progress
        )
    except EmbeddedHeadError as error:
        raise UserError(str(error), EXIT_FAILURE) from None
    keep = bool(getattr(args, "keep", False))
    app = SovtuiApp(
        connection,
        settings,
        cluster_driver=_compose_driver,
        ascii_only=bool(getattr(args, "ascii", False)),
    )
    try:
        app.run()
    finally:
        if connection.head is not None:
            if keep:
                _progress(
                    f"embedded Ray head left running at {connection.head.dashboard_url} "
                    f"(pid {connection.head.pid}; stop it with: kill {connection.head.pid})"
                )
            else:
                _progress("stopping the embedded Ray head")
        asyncio.run(connection.close(keep_head=keep))
    if app.crash is not None:  # the head is stopped above; the traceback is in a file
        print(crash_line(app.crash, app.crash_report), file=sys.stderr, flush=True)
        return EXIT_FAILURE
    return EXIT_FAILURE if app.return_code else EXIT_OK
