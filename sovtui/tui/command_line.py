"""k9s-style `:` commands: names and aliases, completion, filters on the line, and a history
kept in memory and in the XDG state dir. No Textual here.

`:actors Counter` opens the Actors view filtered on "Counter"; `:tasks FAILED` the Tasks view
filtered on FAILED; `:jobs` / `:nodes` the dashboard with that table focused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sovtui.support.locations import state_dir
from sovtui.tui.resource_views import ALIASES as VIEW_ALIASES
from sovtui.tui.resource_views import VIEWS

# Targets that are not resource views: the dashboard's panes.
DASHBOARD_TARGETS = {"jobs": "jobs", "job": "jobs", "j": "jobs", "nodes": "nodes", "node": "nodes"}
DASHBOARD_TARGETS |= {"no": "nodes", "dashboard": "jobs", "dash": "jobs"}
# Other modes of the app a command may name.
MODE_TARGETS = {"cluster": "cluster", "presets": "presets", "bench": "bench"}
# Extra commands other parts of the app register (`:logs`, `:pending`): name -> (target, aliases).
EXTRA: dict[str, str] = {}

HISTORY_SIZE = 200


def register(name: str, *aliases: str) -> None:
    """Another view (the pending view, logs) becomes a command: `:name` opens mode `name`."""
    for alias in (name, *aliases):
        EXTRA[alias] = name


def command_names() -> list[str]:
    """The canonical names, in the order shown by completion and the tab bar."""
    names = [*VIEWS, "nodes", "jobs", *MODE_TARGETS]
    names += [name for name in dict.fromkeys(EXTRA.values()) if name not in names]
    return names


def _all_aliases() -> dict[str, tuple[str, str]]:
    """alias -> (kind of target, target)."""
    table: dict[str, tuple[str, str]] = {}
    table |= {alias: ("view", view) for alias, view in VIEW_ALIASES.items()}
    table |= {alias: ("dashboard", pane) for alias, pane in DASHBOARD_TARGETS.items()}
    table |= {alias: ("mode", mode) for alias, mode in MODE_TARGETS.items()}
    table |= {alias: ("mode", mode) for alias, mode in EXTRA.items()}
    return table


@dataclass(frozen=True)
class Command:
    kind: str  # "view", "dashboard", "mode"
    target: str  # the view or mode name, or the dashboard's pane
    filter: str = ""  # the rest of the line: the table's `/` filter


def parse(line: str) -> Command:
    """`actors Counter` -> Command("view", "actors", "Counter"); ValueError if unknown."""
    text = line.strip().removeprefix(":").strip()
    if not text:
        raise ValueError("type a view name: " + ", ".join(command_names()))
    word, _, rest = text.partition(" ")
    found = _all_aliases().get(word.lower())
    if found is None:
        candidates = complete(word)
        hint = f" (did you mean {', '.join(candidates)}?)" if candidates else ""
        raise ValueError(f"unknown view {word!r}{hint}; views: {', '.join(command_names())}")
    return Command(found[0], found[1], rest.strip())


def complete(prefix: str) -> list[str]:
    """Canonical names first, then aliases, that start with `prefix`."""
    word = prefix.strip().removeprefix(":").lower()
    names = [name for name in command_names() if name.startswith(word)]
    aliases = sorted(a for a in _all_aliases() if a.startswith(word) and a not in names)
    return names + aliases


def completion(line: str) -> str | None:
    """The line completed (first word only), or None when nothing completes it."""
    if " " in line.strip() or not line.strip():
        return None
    candidates = complete(line)
    return candidates[0] if candidates else None


def history_file() -> Path:
    return state_dir() / "command_history"


class CommandHistory:
    """The `:` lines entered, oldest first, without repeats in a row; saved when possible."""

    def __init__(self, path: Path | None = None, size: int = HISTORY_SIZE) -> None:
        self.path = path
        self.size = size
        self.lines: list[str] = []
        if path is not None:
            try:
                self.lines = [
                    line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
                ][-size:]
            except (OSError, UnicodeDecodeError):
                self.lines = []

    def add(self, line: str) -> None:
        line = line.strip()
        if not line or (self.lines and self.lines[-1] == line):
            return
        self.lines = [*self.lines, line][-self.size :]
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                self.path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
            except OSError:
                self.path = None  # kept in memory only from now on
