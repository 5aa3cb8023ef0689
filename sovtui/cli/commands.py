"""Headless subcommands. Each module has `register(subparsers)` and sets `handler` on its parser.

COMMANDS maps each subcommand to the module that registers it, so `sovtui` imports only the
module it runs (the TUI imports none): Docker's SDK and the WebSocket client stay out of the
dashboard's start-up. A test checks this table against what the modules really register.
"""

COMMANDS: dict[str, str] = {
    "status": "sovtui.cli.status",
    "up": "sovtui.cli.compose",
    "scale": "sovtui.cli.compose",
    "down": "sovtui.cli.compose",
    "ps": "sovtui.cli.compose",
    "image": "sovtui.cli.compose",
    "presets": "sovtui.cli.presets",
    "submit": "sovtui.cli.submit",
    "logs": "sovtui.cli.jobs",
    "stop": "sovtui.cli.jobs",
    "job": "sovtui.cli.job",
    "list": "sovtui.cli.explore",
    "summary": "sovtui.cli.explore",
    "pending": "sovtui.cli.explore",
    "kill-actor": "sovtui.cli.explore",
    "bench": "sovtui.cli.bench",
    "contexts": "sovtui.cli.contexts",
    "slurm": "sovtui.cli.slurm",
    "completion": "sovtui.cli.completion",
    "history": "sovtui.cli.history",
}

COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMANDS.values()))


def modules_for(argv: list[str]) -> tuple[str, ...]:
    """The modules a command line needs: all of them for help, else the named command's."""
    if "-h" in argv or "--help" in argv:
        return COMMAND_MODULES
    for token in argv:
        if token in COMMANDS:
            return (COMMANDS[token],)
    return ()
