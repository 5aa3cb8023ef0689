"""The dashboard: totals, history plots, nodes and jobs, refreshed from the App's snapshot."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Static

from sovtui.monitor.history import AbsPoints
from sovtui.monitor.link_state import LinkState
from sovtui.ray_api.snapshot import ClusterSnapshot
from sovtui.tui.loops import start_loop
from sovtui.tui.messages import ShowNodeLogs
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.connection_banner import ConnectionBanner
from sovtui.tui.widgets.history_plot import HistoryPlot
from sovtui.tui.widgets.jobs_table import JobsTable
from sovtui.tui.widgets.node_table import NodeTable
from sovtui.tui.widgets.plain import plain
from sovtui.tui.widgets.resource_bars import ResourceBars

if TYPE_CHECKING:
    from sovtui.monitor.pending import PendingReport
    from sovtui.monitor.poller import Poller

# The pending count costs five State API requests: every 10 s, only while the dashboard shows.
PENDING_CHECK_S = 10.0


class DashboardScreen(Screen[None]):
    BINDINGS = [
        Binding("tab", "next_pane", "Next pane", tooltip="Move the cursor to the next table"),
        Binding(
            "shift+tab",
            "previous_pane",
            "Prev pane",
            show=False,
            tooltip="Move the cursor to the previous table",
        ),
        Binding(
            "n", "focus_nodes", "Nodes", show=False, tooltip="Move the cursor to the node table"
        ),
        Binding("j", "focus_jobs", "Jobs", show=False, tooltip="Move the cursor to the jobs table"),
        Binding(
            "l",
            "node_logs",
            "Node logs",
            show=False,
            tooltip="The selected node's log files; enter opens its history and workers",
        ),
        Binding(
            "z",
            "zoom",
            "Zoom plots",
            show=False,
            tooltip="History plots: the next time window (5 m, 1 h, 6 h, 24 h, 7 d)",
        ),
    ]

    # How often a zoomed-out plot reloads its past from the recorder (the ring covers the rest).
    RELOAD_RECORDED_S = 60.0

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self._select_pending: str | None = None
        self.pending_check: Poller[PendingReport] | None = None
        self._window = services.feed.window_seconds
        self._recorded_at: float | None = None  # when the recorder's past was last loaded

    def compose(self) -> ComposeResult:
        services = self.services
        window = services.feed.window_seconds
        until = "now" if services.replay is None else "last poll"
        yield Header(show_clock=False, icon="◆")
        yield ConnectionBanner(services.clock.monotonic, id="banner")
        yield Static(id="pending-banner")
        with Horizontal(id="top"):
            yield ResourceBars(id="totals")
            yield HistoryPlot(
                "CPU %",
                {"Ray CPUs": "cpu_logical_pct", "host": "cpu_physical_pct"},
                window_seconds=window,
                ascii_only=services.ascii_only,
                until=until,
                id="cpu-plot",
            )
            yield HistoryPlot(
                "Object store %",
                {"used": "object_store_pct"},
                window_seconds=window,
                ascii_only=services.ascii_only,
                until=until,
                id="store-plot",
            )
        yield NodeTable(id="nodes")
        yield JobsTable(services.clock.now, id="jobs")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one("#totals", ResourceBars).border_title = "Cluster"
        self.query_one("#totals", ResourceBars).ascii_only = self.services.ascii_only
        self.watch(self.app, "snapshot", self._show_snapshot)
        self.watch(self.app, "link", self._show_link)
        self.query_one(NodeTable).focus()
        self.query_one("#pending-banner").display = False
        self.watch(self.app, "painted", self._after_first_frame)

    def _start_pending_check(self) -> None:
        """After the first snapshot: the count never delays the dashboard's first answers."""
        from sovtui.monitor.pending import pending_report
        from sovtui.monitor.poller import Poller
        from sovtui.ray_api.state import StateApi

        api = StateApi(self.services.connection.client)
        # Real time for its timer: the dashboard's own polling is the model tests drive by hand.
        clock = replace(self.services.clock, sleep=asyncio.sleep)
        self.pending_check = Poller(
            lambda: pending_report(api),
            PENDING_CHECK_S,
            wanted=lambda: self.is_current,
            clock=clock,
        )
        self.pending_check.subscribe(self._show_pending)
        start_loop(self, self.pending_check.run, "pending-count-poll")

    def _show_pending(self, report: PendingReport) -> None:
        banner = self.query_one("#pending-banner", Static)
        text = report.banner()
        banner.display = bool(text)
        if text:
            banner.update(plain(f"{text} · P: why", "bold"))

    def _after_first_frame(self, painted: bool) -> None:
        live_or_replay = self.services.poll or self.services.replay is not None
        if painted and self._recorded_at is None and live_or_replay:
            self._recorded_at = self.services.clock.now()
            self._load_recorded()

    # -- the plots' past, from the flight recorder --------------------------------------------

    @work(thread=True, exclusive=True, group="recorded-history", exit_on_error=False)
    def _load_recorded(self) -> None:
        """SQLite reads in a thread: the recorded past of the plots' window."""
        from sovtui.monitor.recorded_history import load_recorded
        from sovtui.recorder.identity import Target

        services = self.services
        if services.replay is not None:  # the window ends at the recording's last poll
            replayed = services.replay.points(self._window)
            self.app.call_from_thread(self._recorded_loaded, replayed)
            return
        latest = services.feed.latest
        points = load_recorded(
            Target.of_connection(services.connection),
            latest.session_name if latest is not None else None,
            services.clock.now() - self._window,
        )
        self.app.call_from_thread(self._recorded_loaded, points)

    def _recorded_loaded(self, points: dict[str, AbsPoints]) -> None:
        history = self.services.feed.history
        history.set_recorded(points)
        for plot in self.query(HistoryPlot):
            plot.show(history)

    def action_zoom(self) -> None:
        from sovtui.monitor.recorded_history import next_window

        self._window = next_window(self._window)
        for plot in self.query(HistoryPlot):
            plot.set_window(self._window)
        self._recorded_at = self.services.clock.now()
        self._load_recorded()

    def _show_snapshot(self, snapshot: ClusterSnapshot | None) -> None:
        if snapshot is None:
            return
        if self.pending_check is None and self.services.poll:
            self._start_pending_check()
        bars = self.query_one("#totals", ResourceBars)
        if bars.totals != snapshot.totals:
            bars.totals = dict(snapshot.totals)
        self.query_one(NodeTable).show_nodes(snapshot.nodes)
        self.query_one(JobsTable).show_jobs(snapshot.jobs)
        if self._select_pending is not None:
            self.select_job(self._select_pending)
        history = self.services.feed.history
        for plot in self.query(HistoryPlot):
            plot.show(history)
        loaded = self._recorded_at
        if (
            loaded is not None
            and self._window > self.services.feed.window_seconds
            and self.services.clock.now() - loaded >= self.RELOAD_RECORDED_S
        ):
            self._recorded_at = self.services.clock.now()
            self._load_recorded()

    def _show_link(self, link: LinkState) -> None:
        self.query_one(ConnectionBanner).show_link(link)

    def _panes(self) -> list[NodeTable | JobsTable]:
        return [self.query_one(NodeTable), self.query_one(JobsTable)]

    def _cycle(self, step: int) -> None:
        panes = self._panes()
        focused = self.focused
        index = panes.index(focused) if focused in panes else -1
        panes[(index + step) % len(panes)].focus()

    def action_next_pane(self) -> None:
        self._cycle(1)

    def action_previous_pane(self) -> None:
        self._cycle(-1)

    def action_focus_nodes(self) -> None:
        self.query_one(NodeTable).focus()

    def action_focus_jobs(self) -> None:
        self.query_one(JobsTable).focus()

    # -- jobs ---------------------------------------------------------------------------------

    def select_job(self, job_id: str) -> bool:
        """Put the cursor on a job; if the table does not show it yet, do so when it does."""
        table = self.query_one(JobsTable)
        table.focus()
        if table.select_key(job_id):
            self._select_pending = None
            return True
        self._select_pending = job_id
        return False

    @on(NodeTable.RowSelected)
    def _node_chosen(self, event: NodeTable.RowSelected) -> None:
        if event.data_table is self.query_one(NodeTable) and event.row_key.value is not None:
            from sovtui.tui.screens.node_detail import NodeDetailScreen

            self.app.push_screen(NodeDetailScreen(self.services, event.row_key.value))

    @on(JobsTable.RowSelected)
    def _job_chosen(self, event: JobsTable.RowSelected) -> None:
        if event.data_table is self.query_one(JobsTable) and event.row_key.value is not None:
            self._open(event.row_key.value)

    def action_node_logs(self) -> None:
        """The selected node's log files (enter opens its history and workers instead)."""
        table = self.query_one(NodeTable)
        if table.row_count == 0:
            return
        key = table.cursor_key
        if key is not None:
            self.app.post_message(ShowNodeLogs(key))

    def _open(self, job_id: str) -> None:
        snapshot = self.services.feed.latest
        details = None
        if snapshot is not None:
            details = next((j for j in snapshot.jobs if j.display_id == job_id), None)
        from sovtui.tui.screens.job import JobScreen  # loads the log-tail client when first needed

        self.app.push_screen(JobScreen(self.services, job_id, details))
