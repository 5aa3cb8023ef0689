"""What every subcommand shares: exit codes, user errors, connection flags and settings loading."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sovtui.settings.model import ConfigError, Settings
from sovtui.settings.sources import load_settings

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class UserError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_connection_options(
    parser: argparse.ArgumentParser, *, suppress_defaults: bool = False
) -> None:
    """Flags that pick the cluster. Subparsers suppress defaults so top-level values survive."""
    default = argparse.SUPPRESS if suppress_defaults else None
    parser.add_argument(
        "--address",
        default=default,
        help="Ray dashboard URL (overrides RAY_API_SERVER_ADDRESS, RAY_ADDRESS and the config)",
    )
    parser.add_argument(
        "--context",
        default=default,
        metavar="NAME",
        help="watch a named context (see `sovtui contexts`); wins over --address and the rest",
    )
    parser.add_argument(
        "--via",
        type=_via,
        default=default,
        metavar="[USER@]HOST[:PORT]",
        help="reach the dashboard through an ssh tunnel via this host (--address is then the "
        "dashboard as HOST sees it); uses your ssh config and agent, never asks for a password",
    )
    parser.add_argument(
        "--local-port",
        type=_port,
        default=default,
        metavar="PORT",
        help="the tunnel's port on 127.0.0.1 (default: any free one)",
    )
    parser.add_argument(
        "--interval", type=float, default=default, help="seconds between polls (default 2)"
    )
    parser.add_argument(
        "--config", type=Path, default=default, help="settings file (default: XDG config dir)"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        default=argparse.SUPPRESS if suppress_defaults else False,
        help="leave an embedded Ray head running on exit",
    )
    parser.add_argument(
        "--no-embed",
        action="store_true",
        default=argparse.SUPPRESS if suppress_defaults else False,
        help="never start an embedded Ray head (login nodes); also: embed: false, SOVTUI_EMBED",
    )
    parser.add_argument(
        "--readonly",
        action="store_true",
        default=argparse.SUPPRESS if suppress_defaults else False,
        help="refuse every action that changes the cluster; also: readonly: true, SOVTUI_READONLY",
    )


def add_replay_option(parser: argparse.ArgumentParser, *, suppress_defaults: bool = False) -> None:
    """`--replay CLUSTER`: the dashboard over a recording, no cluster (the TUI only)."""
    parser.add_argument(
        "--replay",
        default=argparse.SUPPRESS if suppress_defaults else None,
        metavar="CLUSTER",
        help="open a recorded cluster read-only instead of watching one: a key, session, "
        "address or Compose project from `sovtui history`",
    )


def add_readonly_option(parser: argparse.ArgumentParser) -> None:
    """`--readonly` for subcommands that take no connection options (Compose's up/scale/down)."""
    parser.add_argument(
        "--readonly",
        action="store_true",
        default=argparse.SUPPRESS,
        help="refuse every action that changes the cluster",
    )


def checked(problem: Callable[[str], str | None]) -> Callable[[str], str]:
    """An argparse `type=`: the text as it is, or the one line `problem` finds wrong with it."""

    def parse(value: str) -> str:
        found = problem(value)
        if found:
            raise argparse.ArgumentTypeError(found)
        return value

    return parse


def whole_number(value: str) -> int:
    """An argparse `type=`: a whole number, 0 or more."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _via(text: str) -> str:
    from sovtui.cluster.ssh.via import ViaError, parse_via

    try:
        return str(parse_via(text))
    except ViaError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--via ")) from None


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port between 1 and 65535")
    return int(text)


def connection_target(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of open_connection / attach_connection that pick the cluster."""
    context = getattr(args, "context", None)
    address = getattr(args, "address", None)
    if context and address:
        raise UserError(
            "--context and --address both name a cluster: give one (a context has its address)"
        )
    return {
        "cli_address": address,
        "context": context,
        "via": getattr(args, "via", None),
        "local_port": getattr(args, "local_port", None),
    }


def settings_inputs(args: argparse.Namespace) -> tuple[Path | None, dict[str, Any]]:
    """The settings file and the flag overrides the command line asks for."""
    overrides = {
        "interval": getattr(args, "interval", None),
        "theme": getattr(args, "theme", None),
        "embed": False if getattr(args, "no_embed", False) else None,
        "readonly": True if getattr(args, "readonly", False) else None,
    }
    return getattr(args, "config", None), overrides


def settings_from_args(args: argparse.Namespace) -> Settings:
    user_file, overrides = settings_inputs(args)
    try:
        return load_settings(user_file=user_file, overrides=overrides)
    except ConfigError as error:
        raise UserError(str(error), EXIT_BAD_INPUT) from None


def refuse_if_readonly(args: argparse.Namespace, action: str) -> Settings:
    """Before anything that changes the cluster: in read-only mode, one line and exit 2.

    Checked before connecting, so a refused command never needs (or starts) a cluster."""
    settings = settings_from_args(args)
    if settings.readonly:
        raise UserError(
            f"read-only mode: refusing to {action} (read-only is set by --readonly, "
            "SOVTUI_READONLY or `readonly: true` in the config)",
            EXIT_BAD_INPUT,
        )
    return settings
