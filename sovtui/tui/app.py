"""The Textual App: runs the dashboard's polling model, turns what it publishes into reactives
the screens watch, and answers the screens' requests (sovtui.tui.messages)."""

from __future__ import annotations

import asyncio
import gc
import importlib
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack, cast

from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from sovtui.cluster.connect import MODE_COMPOSE, Connection, context_mode
from sovtui.cluster.contexts import Context
from sovtui.cluster.errors import BadTarget
from sovtui.monitor.link_state import LinkState
from sovtui.ray_api.auth import TokenLookup, explicit_token
from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.snapshot import ClusterSnapshot
from sovtui.settings.model import Settings
from sovtui.support.crash_report import save_crash_report
from sovtui.support.safe_text import visible
from sovtui.tui.loops import start_loop
from sovtui.tui.messages import (
    ComposeClusterRemoved,
    KillActor,
    LinkChanged,
    RefreshDashboard,
    ShowComposeCluster,
    ShowNewJob,
    ShowNodeLogs,
    SnapshotReady,
    SwitchContext,
)
from sovtui.tui.palette import palette_commands
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.help import HelpScreen
from sovtui.tui.services import (
    ServiceOptions,
    Services,
    build_replay_services,
    build_services,
)
from sovtui.tui.textual_hacks import CrashHookApp

if TYPE_CHECKING:
    from rich.console import RenderableType

    from sovtui.monitor.replay import Replay

FALLBACK_THEME = "sovtui-dark"


async def until_quiet(
    slice_s: float = 0.02, busy_cpu_s: float = 0.002, limit_s: float = 0.25
) -> None:
    """Wait until this process spends (almost) no CPU for a slice, or limit_s at most."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        cpu = time.process_time()
        await asyncio.sleep(slice_s)
        if time.process_time() - cpu < busy_cpu_s:
            return


# Mode -> (module, screen class): loaded the first time the mode is opened.
LAZY_MODES = {
    "cluster": ("sovtui.tui.screens.cluster", "ClusterScreen"),
    "presets": ("sovtui.tui.screens.presets", "PresetsScreen"),
    "bench": ("sovtui.tui.screens.bench", "BenchScreen"),
    "clusters": ("sovtui.tui.screens.clusters", "ClustersScreen"),
}


def _lazy_screen(module: str, name: str, services: Services) -> Screen[Any]:
    screen_class = getattr(importlib.import_module(module), name)
    return cast("Screen[Any]", screen_class(services))


def _resource_screen(view: str, services: Services) -> Screen[Any]:
    """A resource view (`:actors` ...): a mode of its own, loaded the first time it is named."""
    from sovtui.tui.resource_views import VIEWS
    from sovtui.tui.screens.resources import ResourceScreen

    return ResourceScreen(services, VIEWS[view])


class SovtuiApp(CrashHookApp[None]):
    CSS_PATH = Path(__file__).with_name("sovtui.tcss")  # absolute: subclasses live elsewhere
    TITLE = "sovtui"
    # One mode per capability, k9s-style; digits switch between them from anywhere.
    # The other screens (and the Docker, WebSocket and plotting code behind them) load the
    # first time they are opened, so they never delay the dashboard's first frame.
    # The dashboard is the default screen (get_default_screen), built the way a plain Textual
    # app builds its first screen: a MODES entry would cost a CSS refresh and several footer
    # rebuilds before the first frame. on_mount then registers it as a mode for `1`.
    DEFAULT_MODE = "dashboard"
    BINDINGS = [
        Binding("q", "quit", "Quit", tooltip="Leave sovtui"),
        Binding("r", "refresh", "Refresh", tooltip="Poll the Ray dashboard immediately"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="Show every key binding"),
        Binding(
            "colon",
            "command_mode",
            "Command",
            key_display=":",
            show=False,
            tooltip="Open a view by name: :actors, :tasks FAILED, :pg, :objects, :jobs ...",
        ),
        Binding(
            "1",
            "switch_mode('dashboard')",
            "Dashboard",
            show=False,
            tooltip="Cluster totals, nodes and jobs",
        ),
        Binding(
            "2",
            "switch_mode('cluster')",
            "Cluster",
            show=False,
            tooltip="Compose files and the project's containers",
        ),
        Binding(
            "3",
            "switch_mode('presets')",
            "Presets",
            show=False,
            tooltip="Launch a preset workload from a form",
        ),
        Binding(
            "4",
            "switch_mode('bench')",
            "Bench",
            show=False,
            tooltip="Sort and training benchmarks, live plots",
        ),
        Binding(
            "5",
            "switch_mode('clusters')",
            "Clusters",
            show=False,
            tooltip="Every known cluster (context) and your Slurm jobs; switch between them",
        ),
        Binding(
            "P",
            "pending",
            "Why pending?",
            show=False,
            tooltip="What cannot run on the cluster, and why",
        ),
        Binding(
            "ctrl+k",
            "pick_actor",
            "Kill an actor",
            show=False,
            tooltip="Choose a live actor to kill, after a confirmation",
        ),
    ]

    # repaint=False: the widgets that watch these repaint themselves; an App repaint would
    # redraw every cell of the screen on every poll (the idle dashboard's biggest cost).
    snapshot: reactive[ClusterSnapshot | None] = reactive(None, always_update=True, repaint=False)
    link: reactive[LinkState] = reactive(LinkState("connecting"), repaint=False)
    # True once the first frame is on screen: what is not needed for that frame (the plotting
    # library, httpx and the first poll) waits for it.
    painted: reactive[bool] = reactive(False, repaint=False)

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        for mode, (module, name) in LAZY_MODES.items():
            self.add_mode(mode, partial(_lazy_screen, module, name, services))
        self.feed = services.feed
        # The model publishes from the app's own loop; messages make its values reactives.
        self.feed.poller.subscribe(
            lambda snapshot: self.post_message(SnapshotReady(snapshot)),
            lambda link: self.post_message(LinkChanged(link)),
        )
        # What the dashboard watched before it switched to a Compose cluster: (address, token,
        # mode, source), restored after that cluster's `down`.
        self._before_compose: tuple[str, TokenLookup, str, str] | None = None
        self.sub_title = visible(services.connection.label)
        if services.replay is not None:
            self.title = visible(services.replay.title)
        elif services.settings.readonly:
            self.title = f"{self.TITLE} · READ-ONLY"
        # An unexpected exception, kept for run_tui's exit code and its one line on stderr.
        self.crash: BaseException | None = None
        self.crash_report: Path | None = None
        self.closing = False  # exit() was asked for (q, a signal): what fails now fails closing
        self.crash_while_closing = False
        self._view_modes: set[str] = set()  # resource views registered as modes so far
        self._command_history: Any = None  # command_line.CommandHistory, on the first `:`
        # Before the first frame: one CSS refresh at start-up, where choosing the theme on
        # mount cost a refresh of its own on top of the default theme's.
        self._theme_warnings = self._install_themes()
        self._recorder_kind: str | None = None  # the recorder state last seen (warn once)

    @property
    def connection(self) -> Connection:
        return self.services.connection

    @property
    def settings(self) -> Settings:
        return self.services.settings

    # -- themes -----------------------------------------------------------------------------

    @property
    def sovtui_theme_names(self) -> list[str]:
        return list(self.services.themes.themes)

    def use_theme(self, name: str) -> None:
        if name in self.available_themes:
            self.theme = name
        else:
            self.notify(f"unknown theme {name!r}", severity="warning")

    def _install_themes(self) -> list[str]:
        """Register the loaded themes and pick the configured one; returns what to warn about."""
        themes = self.services.themes
        for theme in themes.themes.values():
            self.register_theme(theme)
        warnings = [f"theme skipped: {failure}" for failure in themes.failures]
        wanted = self.settings.theme
        if wanted not in self.available_themes:
            warnings.append(f"theme {wanted!r} not found; using {FALLBACK_THEME}")
            wanted = FALLBACK_THEME if FALLBACK_THEME in self.available_themes else "textual-dark"
        self.theme = wanted
        return warnings

    # -- lifecycle --------------------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (screens' and widgets' too) ends here: they quote cluster text
        (ids, error bodies), so never markup and never a terminal control."""
        super().notify(
            visible(message, multiline=True),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def crashed(self, error: Exception) -> None:
        """An exception nothing handled; the app exits.

        Textual prints a Rich traceback with locals on exit (long, and it can quote cluster text
        raw): the traceback goes to a private file instead, and run_tui says where, exit 1.
        """
        if self.crash is None:
            self.crash = error
            self.crash_report = save_crash_report(error)
            self.crash_while_closing = self.closing
        self.drop_exit_traceback()

    def exit(
        self, result: Any = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        self.closing = True
        super().exit(result, return_code, message)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette: generated from the bindings (see palette), themes, Textual's."""
        textual_commands = super().get_system_commands(screen)
        return palette_commands(screen, self.sovtui_theme_names, self.use_theme, textual_commands)

    def get_default_screen(self) -> Screen[Any]:
        return DashboardScreen(self.services)

    def on_mount(self) -> None:
        # Its screen exists: this only names it, for `1`.
        self.add_mode("dashboard", lambda: DashboardScreen(self.services))
        if self.services.replay is not None:  # the recording's last poll, once
            self.link = self.feed.link
            self.snapshot = self.feed.latest
        for warning in self._theme_warnings:
            self.notify(warning, severity="warning", timeout=10)

    def on_ready(self) -> None:
        self.call_after_refresh(self._after_first_frame)

    @work(group="start-up", exit_on_error=False)
    async def _after_first_frame(self) -> None:
        # The first frame is out; let the frames that finish it (the footer's keys) through
        # before loading the plotting library, httpx and pydantic, which compete for the GIL.
        await until_quiet()
        self.painted = True
        if self.services.poll:
            self._start_recording()
            start_loop(self, self.feed.poller.run, "poll")

    async def on_unmount(self) -> None:
        await self._stop_recording()
        await self.connection.client.aclose()

    # -- the flight recorder ------------------------------------------------------------------

    def _start_recording(self) -> None:
        """A recorder for the cluster the connection watches now (its identity: address, mode,
        project; the writer thread adds Ray's session name from the first poll)."""
        from sovtui.recorder.recorder import start_recording  # sqlite3: after the first frame

        try:
            recorder = start_recording(
                self.settings, self.connection, clock=self.services.clock.now
            )
        except Exception as error:  # a recorder that cannot start never stops the dashboard
            self.notify(f"not recording: {error}", severity="warning", timeout=10)
            return
        self._recorder_kind = recorder.state.kind
        self.feed.record_with(recorder)

    async def _stop_recording(self) -> None:
        """Ends the recording: what is queued is written (bounded wait, in a thread)."""
        previous = self.feed.record_with(None)
        if previous is not None:
            await asyncio.to_thread(previous.close)

    def _check_recorder(self) -> None:
        """Once per poll: a recorder that stopped (disk full, read-only, locked, corrupt) or
        warns says so once; the dashboard goes on without it."""
        state = self.feed.recorder_state
        if state is None or state.kind == self._recorder_kind:
            return
        self._recorder_kind = state.kind
        if state.kind in ("stopped", "warning"):
            self.notify(state.message, title="flight recorder", severity="warning", timeout=15)

    # -- what the polling model publishes ----------------------------------------------------

    @on(SnapshotReady)
    def _snapshot_ready(self, message: SnapshotReady) -> None:
        if self.snapshot is None:
            # Everything built so far (widgets, styles, the first tables) lives as long as the
            # app: keep it out of the cyclic GC's full passes, which otherwise stall a frame
            # for 40-60 ms on a 1000-node cluster. Refcounting still frees what dies.
            self.call_after_refresh(gc.freeze)
        self.snapshot = message.snapshot
        self._check_recorder()

    @on(LinkChanged)
    def _link_changed(self, message: LinkChanged) -> None:
        self.link = message.link
        self._check_recorder()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """An unexpected error in a worker is shown, never a crash."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(f"{type(error).__name__}: {error}", severity="error", timeout=10)

    # -- a replay (`sovtui --replay`): what needs a live cluster says so ----------------------

    def refused_in_replay(self, what: str) -> bool:
        """True (with a notification) when this is a replay, where `what` cannot be shown."""
        if self.services.replay is None:
            return False
        self.notify(f"{what}: not available in a replay", severity="warning", timeout=5)
        return True

    async def action_switch_mode(self, mode: str) -> None:
        if mode != "dashboard" and self.refused_in_replay(mode.capitalize()):
            return
        await super().action_switch_mode(mode)

    # -- requests from screens ----------------------------------------------------------------

    @on(RefreshDashboard)
    def _refresh_dashboard(self) -> None:
        self.feed.poller.poll_now()

    @on(ShowNewJob)
    async def _show_new_job(self, request: ShowNewJob) -> None:
        await self.switch_mode("dashboard")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, DashboardScreen):
            self.pop_screen()  # e.g. another job's screen
        if isinstance(self.screen, DashboardScreen):
            self.screen.select_job(request.submission_id)
        self.feed.poller.poll_now()

    @on(ShowComposeCluster)
    async def _show_compose_cluster(self, request: ShowComposeCluster) -> None:
        connection = self.connection
        project = request.project
        if connection.mode != MODE_COMPOSE:
            self._before_compose = (
                connection.address,
                connection.client.token,
                connection.mode,
                connection.source,
            )
        connection.mode = MODE_COMPOSE
        connection.project = project
        connection.source = f"compose project {project}"
        connection.context = None
        await self._drop_tunnel()  # a Compose cluster sovtui brought up is local
        await self._retarget(request.address, explicit_token(request.token, connection.source))

    @on(ComposeClusterRemoved)
    async def _compose_cluster_removed(self, request: ComposeClusterRemoved) -> None:
        connection = self.connection
        if connection.mode != MODE_COMPOSE or connection.project != request.project:
            return
        if self._before_compose is None:
            self.feed.poller.poll_now()  # shows "disconnected" with the address it had
            return
        address, token, mode, source = self._before_compose
        self._before_compose = None
        connection.mode, connection.source, connection.project = mode, source, None
        await self._retarget(address, token)

    @on(SwitchContext)
    async def _switch_context(self, request: SwitchContext) -> None:
        """Watch `request.context`: open its tunnel first (a failure leaves everything as it
        was), then point the one client at it and close the previous context's tunnel."""
        context = request.context
        try:
            tunnel, address = await asyncio.to_thread(self._way_to, context)
        except (BadTarget, DashboardError, OSError) as error:  # ViaError, TunnelError
            self.notify(f"cannot switch to {context.name}: {error}", severity="error", timeout=10)
            return
        connection = self.connection
        previous = connection.tunnel
        connection.tunnel = tunnel
        connection.mode = context_mode(context)
        connection.project = context.project
        connection.context = context.name
        via = f" via {tunnel.via}" if tunnel is not None else ""
        connection.source = f"context {context.name}{via}"
        self._before_compose = None  # a Compose `down` no longer decides what is watched
        connection.client.path_check = tunnel.path_check if tunnel is not None else None
        await self._retarget(address, context.token())
        if previous is not None and previous is not tunnel:
            await asyncio.to_thread(previous.close)
        self.notify(f"watching {context.name}", timeout=4)

    async def _drop_tunnel(self) -> None:
        tunnel = self.connection.tunnel
        self.connection.tunnel = None
        self.connection.client.path_check = None
        if tunnel is not None:
            await asyncio.to_thread(tunnel.close)

    def _way_to(self, context: Context) -> tuple[Any, str]:
        """(the tunnel opened for it or None, the address to ask): blocking, in a thread."""
        if not context.via:
            return None, context.address
        from sovtui.cluster.ssh.tunnel import tunnel_to

        ssh = self.settings.ssh
        return tunnel_to(context.address, context.via, ssh, context.local_port)

    async def _retarget(self, address: str, token: TokenLookup) -> None:
        await self.connection.client.retarget(address, token)
        recording = self.feed.recorder is not None
        await self._stop_recording()  # another identity: the old recording ends
        self.feed.retargeted()
        if recording:
            self._start_recording()
        self.sub_title = visible(self.connection.label)

    @on(ShowNodeLogs)
    def _show_node_logs(self, request: ShowNodeLogs) -> None:
        if self.refused_in_replay("Node logs"):
            return
        from sovtui.tui.screens.node_logs import NodeLogsScreen

        self.push_screen(NodeLogsScreen(self.services, request.node_id))

    @on(KillActor)
    def _kill_actor(self, request: KillActor) -> None:
        self.kill_actor(request.actor_id, request.label)

    def kill_actor(self, actor_id: str, label: str = "") -> None:
        """Kill an actor: refused in read-only mode, else confirmed, then run in a worker."""
        if self.settings.readonly:
            self.notify(
                f"read-only mode: refusing to kill actor {actor_id}", severity="warning", timeout=6
            )
            return
        from sovtui.tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_kill(actor_id)

        who = f"{label} ({actor_id})" if label else actor_id
        detail = "Ray kills it with no restart (a helper job runs `ray kill-actor`)."
        self.push_screen(ConfirmScreen(f"Kill actor {who}?", detail), answered)

    @work(group="kill-actor", exit_on_error=False)
    async def _run_kill(self, actor_id: str) -> None:
        from sovtui.ray_api.actor_kill import kill_actor
        from sovtui.ray_api.errors import DashboardError
        from sovtui.ray_api.state import StateApi

        self.notify(f"killing actor {actor_id}…", timeout=3)
        try:
            result = await kill_actor(StateApi(self.connection.client), actor_id)
        except DashboardError as error:
            self.notify(f"actor {actor_id} not killed: {error}", severity="error", timeout=10)
            return
        self.notify(result.line(), timeout=8)

    # -- actions ----------------------------------------------------------------------------

    def action_pending(self) -> None:
        from sovtui.tui.screens.pending import PendingScreen

        if self.refused_in_replay("Why pending"):
            return
        if not isinstance(self.screen, PendingScreen):
            self.push_screen(PendingScreen(self.services))

    def action_pick_actor(self) -> None:
        from sovtui.tui.screens.actor_pick import ActorPickScreen

        if self.refused_in_replay("Kill an actor"):
            return
        if not isinstance(self.screen, ActorPickScreen):
            self.push_screen(ActorPickScreen(self.services))

    async def action_cluster(self, action: str) -> None:
        """Palette entries for Cluster-screen keys from elsewhere: go there, then run it."""
        if self.refused_in_replay("Cluster"):
            return
        if self.current_mode != "cluster":
            await self.switch_mode("cluster")
        await self.screen.run_action(action)

    def action_refresh(self) -> None:
        if self.services.replay is not None:
            self.notify("a replay shows a recording: there is nothing to poll", timeout=4)
            return
        self.feed.poller.poll_now()

    def action_command_mode(self) -> None:
        """`:` -- the command line at the bottom; its line opens a view (see command_line)."""
        from sovtui.tui.command_line import CommandHistory, history_file
        from sovtui.tui.screens.command import CommandScreen

        if isinstance(self.screen, CommandScreen):
            return
        if self._command_history is None:
            self._command_history = CommandHistory(history_file())
        self.push_screen(CommandScreen(self._command_history), self._command_entered)

    async def _command_entered(self, line: str | None) -> None:
        if line:
            await self.run_command(line)

    async def run_command(self, line: str) -> bool:
        """Open what a `:` line names (`actors Counter`, `tasks FAILED`, `jobs`); False with a
        notification when it names nothing."""
        from sovtui.tui.command_line import parse

        try:
            command = parse(line)
        except ValueError as error:
            self.notify(str(error), severity="warning")
            return False
        if self._command_history is not None:
            self._command_history.add(line)
        if command.kind == "dashboard":
            await self.switch_mode("dashboard")
            self.action_focus_pane(command.target)
            return True
        if command.kind == "view" and self.refused_in_replay(f":{command.target}"):
            return False
        if command.kind == "view" and command.target not in self._view_modes:
            self.add_mode(command.target, partial(_resource_screen, command.target, self.services))
            self._view_modes.add(command.target)
        await self.switch_mode(command.target)
        set_filter = getattr(self.screen, "set_filter", None)
        if set_filter is not None and (command.filter or command.kind == "view"):
            set_filter(command.filter)
        return True

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_focus_pane(self, pane: str) -> None:
        screen = self.screen
        if isinstance(screen, DashboardScreen):
            screen.action_focus_jobs() if pane == "jobs" else screen.action_focus_nodes()


def make_app(
    connection: Connection, settings: Settings, **options: Unpack[ServiceOptions]
) -> SovtuiApp:
    """The one way to build the app, for the CLI and the tests alike (options: build_services)."""
    return SovtuiApp(build_services(connection, settings, **options))


def make_replay_app(
    replay: Replay, settings: Settings, **options: Unpack[ServiceOptions]
) -> SovtuiApp:
    """The app over a recording (`sovtui --replay`): see build_replay_services."""
    return SovtuiApp(build_replay_services(replay, settings, **options))
