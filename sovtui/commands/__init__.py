"""Headless subcommands. Each module has `register(subparsers)` and sets `handler` on its parser."""

COMMAND_MODULES: tuple[str, ...] = (
    "sovtui.commands.status",
    "sovtui.commands.compose",
    "sovtui.commands.presets_cmd",
    "sovtui.commands.submit_cmd",
    "sovtui.commands.jobs_cmd",
)
