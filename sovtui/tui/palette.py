"""Command palette entries, generated from the key bindings: one declaration per action.

A binding's description is the entry's title, its tooltip the help and its keys the key
hint, so the footer, the help screen and the palette cannot drift apart. The App hands
these to Textual's system-commands hook (App.get_system_commands), with every theme and
Textual's own commands that sovtui does not already list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.screen import Screen

# Opening the palette from the palette, or Textual's ctrl+c hint, is no command.
NOT_LISTED = frozenset({"command_palette", "help_quit"})

# (mode, title prefix, module, screen class): screens whose keys are offered from every
# other screen too; the entry switches to the mode first (the App's `cluster` action).
ELSEWHERE = (("cluster", "Cluster", "sovtui.tui.screens.cluster", "ClusterScreen"),)


def _help(binding: Binding, keys: Iterable[str]) -> str:
    hint = ", ".join(keys)
    return f"{binding.tooltip} ({hint})" if binding.tooltip else f"key {hint}"


def binding_commands(screen: Screen[Any]) -> list[SystemCommand]:
    """One entry per action bound on `screen` or the app (with a description), and per key
    the footer shows (a focused widget's too); disabled actions are left out."""
    app = screen.app
    found: dict[tuple[int, str], tuple[DOMNode, list[Binding]]] = {}
    for node, binding, enabled, _tooltip in screen.active_bindings.values():
        if not enabled or not binding.description or binding.action in NOT_LISTED:
            continue
        if not (binding.show or node is screen or node is app):
            continue  # a focused widget's navigation keys (cursor, scrolling)
        found.setdefault((id(node), binding.action), (node, []))[1].append(binding)
    commands = []
    for node, bindings in found.values():
        bindings.sort(key=lambda binding: not binding.show)  # the footer's key names it
        keys = list(dict.fromkeys(app.get_key_display(binding) for binding in bindings))
        first = bindings[0]
        run = partial(app.run_action, first.action, node)
        commands.append(SystemCommand(first.description, _help(first, keys), run))
    return commands


def _mode_key(app: App[Any], screen: Screen[Any], mode: str) -> str | None:
    for node, binding, _enabled, _tooltip in screen.active_bindings.values():
        if node is app and binding.action == f"switch_mode({mode!r})":
            return app.get_key_display(binding)
    return None


def elsewhere_commands(screen: Screen[Any]) -> list[SystemCommand]:
    """The keys of the ELSEWHERE screens, offered from the others as "Cluster: Up"."""
    app = screen.app
    commands = []
    for mode, prefix, module, name in ELSEWHERE:
        screen_class = getattr(importlib.import_module(module), name)
        if isinstance(screen, screen_class):
            continue  # its own keys are listed as they are
        mode_key = _mode_key(app, screen, mode)
        seen: set[str] = set()
        for bindings in BindingsMap(screen_class.BINDINGS).key_to_bindings.values():
            for binding in bindings:
                if not binding.description or binding.action in seen:
                    continue
                seen.add(binding.action)
                key = app.get_key_display(binding)
                keys = [f"{mode_key} then {key}" if mode_key else key]
                run = partial(app.run_action, f"cluster({binding.action!r})")
                title = f"{prefix}: {binding.description}"
                commands.append(SystemCommand(title, _help(binding, keys), run))
    return commands


def theme_commands(names: Iterable[str], use_theme: Callable[[str], object]) -> list[SystemCommand]:
    return [
        SystemCommand(f"Theme: {name}", "Switch the colour theme", partial(use_theme, name))
        for name in sorted(names)
    ]


def palette_commands(
    screen: Screen[Any],
    themes: Iterable[str],
    use_theme: Callable[[str], object],
    textual_commands: Iterable[SystemCommand],
) -> list[SystemCommand]:
    """Everything the palette lists on `screen`; Textual's own commands (Theme picker, Keys,
    Screenshot...) unless sovtui already has an entry of that title (Quit)."""
    ours = [*binding_commands(screen), *elsewhere_commands(screen)]
    ours += theme_commands(themes, use_theme)
    titles = {command.title for command in ours}
    return ours + [command for command in textual_commands if command.title not in titles]
