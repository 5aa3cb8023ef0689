"""Headless subcommands. Each module has `register(subparsers)` and sets `handler` on its parser."""

COMMAND_MODULES: tuple[str, ...] = (
    "sovtui.commands.status",
    "sovtui.commands.bench",
)
