"""Command line: `sovtui` runs the TUI; subcommands run headless.

Exit codes: 0 ok, 1 failure, 2 bad input.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sovtui import __version__
from sovtui.cli.commands import COMMAND_MODULES, COMMANDS, modules_for
from sovtui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    UserError,
    add_connection_options,
    add_replay_option,
)
from sovtui.cluster.errors import BadTarget
from sovtui.ray_api.errors import DashboardError
from sovtui.support.extras import extra_for_import_error, missing_extra_message
from sovtui.support.safe_text import visible


class _Parser(argparse.ArgumentParser):
    """argparse, but an unknown subcommand is named, with the closest real one suggested.

    Subcommand modules are imported lazily (see sovtui.cli.commands), so argparse's own list of
    choices holds only what this command line loaded; `known_commands` is the whole list.
    """

    known_commands: tuple[str, ...] = ()

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if isinstance(action, argparse._SubParsersAction) and choices is not None:
            known = sorted({*choices, *self.known_commands})
            if value not in known:
                self.error(_unknown_command(value, known))
        super()._check_value(action, value)


def _unknown_command(value: str, known: list[str]) -> str:
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown command '{value}'{hint} (commands: {', '.join(known)})"


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sovtui",
        description="Keyboard-driven terminal dashboard for Ray clusters. "
        "With no subcommand, opens the dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"sovtui {__version__}")
    add_connection_options(parser)
    add_replay_option(parser)
    parser.add_argument("--theme", help="colour theme name (see themes/)")
    parser.add_argument("--ascii", action="store_true", help="plot with ASCII markers only")
    parser.known_commands = ("run", *COMMANDS)
    subparsers = parser.add_subparsers(title="subcommands", dest="command", metavar="COMMAND")
    run = subparsers.add_parser("run", help="open the dashboard (the default)")
    add_connection_options(run, suppress_defaults=True)
    add_replay_option(run, suppress_defaults=True)
    run.set_defaults(handler=_run_tui)
    for module_name in modules:
        try:
            importlib.import_module(module_name).register(subparsers)
        except ModuleNotFoundError as error:
            if extra_for_import_error(error) is None:
                raise
            _register_unavailable(subparsers, module_name, str(error.name))
    parser.set_defaults(handler=_run_tui)
    return parser


def _register_unavailable(
    subparsers: argparse._SubParsersAction[Any], module_name: str, missing: str
) -> None:
    """The module's commands still parse (any arguments), and say which extra to install."""
    for command in (name for name, module in COMMANDS.items() if module == module_name):
        message = missing_extra_message(missing, f"`sovtui {command}`")
        stub = subparsers.add_parser(command, help=f"(unavailable: {message})")
        stub.add_argument("arguments", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        stub.set_defaults(handler=_unavailable(message))


def _unavailable(message: str) -> Callable[[argparse.Namespace], int]:
    def handler(_args: argparse.Namespace) -> int:
        raise UserError(message, EXIT_BAD_INPUT)

    return handler


def _run_tui(args: argparse.Namespace) -> int:
    from sovtui.cli.run_tui import run_tui

    return run_tui(args)


def split_trailing(arguments: list[str]) -> tuple[list[str], list[str] | None]:
    """`sovtui submit --wait -- python x.py -v` -> (`submit --wait`, `python x.py -v`): the words
    after the first `--` are a command for the cluster, never options of sovtui."""
    if "--" not in arguments:
        return arguments, None
    at = arguments.index("--")
    return arguments[:at], arguments[at + 1 :]


def main(argv: Sequence[str] | None = None) -> int:
    arguments, trailing = split_trailing(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(modules_for(arguments))
    args = parser.parse_args(arguments)
    if trailing is not None:
        if not getattr(args, "accepts_trailing", False):
            parser.error(f"unexpected arguments after --: {' '.join(trailing)}")
        args.trailing = trailing
    try:
        return int(args.handler(args))
    except UserError as error:
        # The message may quote a server's answer: controls made visible.
        print(f"sovtui: {visible(str(error), multiline=True)}", file=sys.stderr)
        return error.exit_code if error.exit_code else EXIT_BAD_INPUT
    except ModuleNotFoundError as error:
        if extra_for_import_error(error) is None:
            return _crashed(error)
        feature = f"`sovtui {args.command}`" if args.command else "this"
        print(f"sovtui: {missing_extra_message(str(error.name), feature)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadTarget as error:  # an unknown --context, a --via that cannot be used
        print(f"sovtui: {visible(str(error), multiline=True)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DashboardError as error:  # e.g. the cluster $RAY_ADDRESS names is unreachable
        print(f"sovtui: {error.state}: {visible(str(error), multiline=True)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("sovtui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_went_away()
    except Exception as error:
        return _crashed(error)


def _reader_went_away() -> int:
    """`sovtui status | head`: the reader closed the pipe; end quietly, as `cat` does."""
    import os

    # Python would report the failed flush of stdout at exit: point it at /dev/null first.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, what a shell reports for a writer killed by the signal


def _crashed(error: BaseException) -> int:
    """A bug: one line here, the traceback in a private file."""
    from sovtui.support.crash_report import crash_line, save_crash_report

    print(crash_line(error, save_crash_report(error)), file=sys.stderr)
    return EXIT_FAILURE
