"""Command palette entries: every app action, the current screen's actions, every theme."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from sovtui.tui.app import SovtuiApp

# (title, help, action name on the app)
APP_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Go to Dashboard", "Cluster totals, nodes and jobs (1)", "switch_mode('dashboard')"),
    ("Go to Cluster", "Compose files and the project's containers (2)", "switch_mode('cluster')"),
    ("Cluster: up", "Start a Ray cluster from a Compose file (u)", "cluster('up')"),
    ("Cluster: add a worker", "Scale the Compose cluster up by one (+)", "cluster('scale(1)')"),
    (
        "Cluster: remove a worker",
        "Scale the Compose cluster down by one (-)",
        "cluster('scale(-1)')",
    ),
    ("Cluster: down", "Remove the cluster's containers and networks (d)", "cluster('down')"),
    ("Cluster: container logs", "Last log lines of the selected container (l)", "cluster('logs')"),
    (
        "Cluster: refresh containers",
        "Ask Docker now (r on the Cluster screen)",
        "cluster('refresh_containers')",
    ),
    ("Go to Presets", "Launch a preset workload from a form (3)", "switch_mode('presets')"),
    ("Go to Bench", "Sort and training benchmarks, live plots (4)", "switch_mode('bench')"),
    ("Refresh now", "Poll the Ray dashboard immediately (r)", "refresh"),
    ("Help", "Show every key binding (?)", "help"),
    ("Focus nodes", "Move the cursor to the node table (n)", "focus_pane('nodes')"),
    ("Focus jobs", "Move the cursor to the jobs table (j)", "focus_pane('jobs')"),
    ("Quit", "Leave sovtui (q)", "quit"),
)


class SovtuiCommands(Provider):
    def _entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = cast("SovtuiApp", self.app)
        entries: list[tuple[str, str, Callable[[], object]]] = [
            (title, help_text, partial(app.run_action, action))
            for title, help_text, action in APP_ACTIONS
        ]
        # The screen the palette was opened on lists its own actions as PALETTE_ACTIONS.
        screen = self.screen
        for title, help_text, action in getattr(screen, "PALETTE_ACTIONS", ()):
            entries.append((title, help_text, partial(screen.run_action, action)))
        for name in sorted(app.sovtui_theme_names):
            entries.append(
                (f"Theme: {name}", "Switch the colour theme", partial(app.use_theme, name))
            )
        return entries

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
