"""Command line: `sovtui` runs the TUI; subcommands run headless.

Exit codes: 0 ok, 1 failure, 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sovtui import __version__
from sovtui.commands import COMMAND_MODULES, modules_for
from sovtui.commands.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    UserError,
    add_connection_options,
)
from sovtui.ray_api.errors import DashboardError


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sovtui",
        description="Keyboard-driven terminal dashboard for Ray clusters. "
        "With no subcommand, opens the dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"sovtui {__version__}")
    add_connection_options(parser)
    parser.add_argument("--theme", help="colour theme name (see themes/)")
    parser.add_argument("--ascii", action="store_true", help="plot with ASCII markers only")
    subparsers = parser.add_subparsers(title="subcommands", dest="command", metavar="COMMAND")
    run = subparsers.add_parser("run", help="open the dashboard (the default)")
    add_connection_options(run, suppress_defaults=True)
    run.set_defaults(handler=_run_tui)
    for module_name in modules:
        importlib.import_module(module_name).register(subparsers)
    parser.set_defaults(handler=_run_tui)
    return parser


def _run_tui(args: argparse.Namespace) -> int:
    from sovtui.commands.tui import run_tui

    return run_tui(args)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(modules_for(arguments))
    args = parser.parse_args(arguments)
    try:
        return int(args.handler(args))
    except UserError as error:
        print(f"sovtui: {error}", file=sys.stderr)
        return error.exit_code if error.exit_code else EXIT_BAD_INPUT
    except DashboardError as error:  # e.g. the cluster $RAY_ADDRESS names is unreachable
        print(f"sovtui: {error.state}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("sovtui: interrupted", file=sys.stderr)
        return 130
