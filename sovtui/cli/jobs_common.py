"""What the job subcommands share: connecting, running one coroutine, printing failures."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sovtui.cli.common import EXIT_FAILURE, UserError, connection_target, settings_from_args
from sovtui.cluster.connect import Connection, open_connection
from sovtui.ray_api.errors import DashboardError

T = TypeVar("T")


def connect(args: argparse.Namespace, *, allow_embedded: bool = False) -> Connection:
    settings = settings_from_args(args)
    return open_connection(
        settings,
        allow_embedded=allow_embedded,
        progress=lambda text: print(f"sovtui: {text}", file=sys.stderr),
        **connection_target(args),
    )


def run_with(
    connection: Connection, work: Callable[[Connection], Awaitable[T]], *, keep: bool = False
) -> T:
    """Run `work` on the connection and close it; dashboard errors become one-line failures."""

    async def main() -> T:
        try:
            return await work(connection)
        finally:
            await connection.close(keep_head=keep)

    try:
        return asyncio.run(main())
    except DashboardError as error:
        raise UserError(f"{error.state}: {error}", EXIT_FAILURE) from None
