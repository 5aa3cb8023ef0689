"""The Clusters screen: every context sovtui knows (enter watches it) above the user's Slurm jobs
(u brings a Ray cluster up in a new allocation, d takes one down, b and o show its batch script
and its Slurm output).

One screen rather than a Slurm screen of its own: a Slurm cluster is a context too, so the job
that `u` submits shows up in the table above once its head is up, one enter away from the
dashboard. Both tables are polled (Poller) only while the screen is shown: the contexts listing
and their health probes in a thread (bounded by contexts.probe_contexts' deadlines), squeue with
its own timeout (it takes ~9 s to fail without slurmctld: the screen keeps answering keys and
says "Slurm unreachable: ...").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from sovtui.cluster.contexts import Context, ContextList, Health
from sovtui.cluster.slurm.commands import SlurmError
from sovtui.cluster.slurm.queue import SlurmJob, format_duration
from sovtui.cluster.slurm.records import SCRIPT_FILE, SlurmCluster
from sovtui.monitor.link_state import LinkState
from sovtui.monitor.poller import Poller
from sovtui.tui.loops import start_loop
from sovtui.tui.messages import SwitchContext
from sovtui.tui.screens.confirm import ConfirmScreen
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.plain import cell, plain

CONTEXTS_EVERY_S = 15.0  # each poll probes every dashboard: not every 2 s
SLURM_EVERY_S = 5.0
SLURM_UNREACHABLE_RETRY_S = 30.0
WARNING_LEFT_S = 30 * 60
ERROR_LEFT_S = 5 * 60

# Time left as it runs out; plain Rich styles, as the job table's statuses.
LEFT_STYLES = {"normal": "", "warning": "bold yellow", "error": "bold red"}
STATE_STYLES = {
    "up": "green",
    "RUNNING": "bold cyan",
    "PENDING": "magenta",
    "TIMEOUT": "bold red",
    "FAILED": "bold red",
}


def left_level(seconds: float | None) -> str:
    """normal above 30 minutes, warning below, error below 5 minutes (and unknown: normal)."""
    if seconds is None or seconds >= WARNING_LEFT_S:
        return "normal"
    return "error" if seconds < ERROR_LEFT_S else "warning"


def time_left_text(seconds: float | None) -> Text:
    return Text(format_duration(seconds), style=LEFT_STYLES[left_level(seconds)])


def where(context: Context) -> str:
    return f"{context.address} via {context.via}" if context.via else context.address


@dataclass(frozen=True)
class ContextsView:
    listing: ContextList
    health: dict[str, Health]


@dataclass(frozen=True)
class SlurmView:
    jobs: list[SlurmJob]
    clusters: list[SlurmCluster]  # sovtui's, with live states
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (key, line) to notify once

    def cluster_of(self, job_id: str) -> SlurmCluster | None:
        return next((c for c in self.clusters if c.job_id == job_id), None)


def read_slurm(jobs: list[SlurmJob], now: float) -> SlurmView:
    """sovtui's clusters for these jobs and what to warn about (file I/O: in a thread)."""
    from sovtui.cluster.slurm import notes, records

    clusters = records.list_clusters(jobs)
    found: list[tuple[str, str]] = []
    for cluster in clusters:
        for line in notes.warnings(cluster, now):
            found.append((f"{cluster.job_id}:{line.split()[0]}", f"{cluster.name}: {line}"))
        if cluster.state in ("TIMEOUT", "FAILED"):
            outcome = notes.outcome(cluster) or cluster.state
            found.append((f"{cluster.job_id}:{cluster.state}", f"{cluster.name}: {outcome}"))
    return SlurmView(jobs, clusters, found)


class ContextsPolled(Message):
    def __init__(self, view: ContextsView) -> None:
        super().__init__()
        self.view = view


class SlurmPolled(Message):
    def __init__(self, view: SlurmView) -> None:
        super().__init__()
        self.view = view


class SlurmLinkChanged(Message):
    def __init__(self, link: LinkState) -> None:
        super().__init__()
        self.link = link


class ClustersScreen(Screen[None]):
    CSS_PATH = "clusters.tcss"  # this screen's styles load with it, not at start-up
    BINDINGS = [
        Binding(
            "enter",
            "switch_context",
            "Watch",
            tooltip="Switch the whole app (dashboard, header) to the selected context",
        ),
        Binding("u", "slurm_up", "Slurm up", tooltip="Bring up a Ray cluster in a Slurm job"),
        Binding("d", "slurm_down", "Slurm down", tooltip="Cancel the selected Slurm cluster"),
        Binding("b", "show_script", "Script", tooltip="The selected cluster's batch script"),
        Binding("o", "show_output", "Output", tooltip="The selected job's Slurm output"),
        Binding("r", "refresh_all", "Refresh", tooltip="List and probe contexts, ask Slurm now"),
        Binding("tab", "other_table", "Other table", show=False, tooltip="Contexts / Slurm jobs"),
    ]

    contexts_view: reactive[ContextsView | None] = reactive(None)
    slurm_view: reactive[SlurmView | None] = reactive(None)
    slurm_problem: reactive[str | None] = reactive(None)
    operation: reactive[str | None] = reactive(None)  # a Slurm up/down while it runs

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self._warned: set[str] = set()
        clock = services.clock
        self._contexts: Poller[ContextsView] = Poller(
            self._read_contexts, CONTEXTS_EVERY_S, wanted=self._shown, clock=clock
        )
        self._contexts.subscribe(lambda view: self.post_message(ContextsPolled(view)))
        self._slurm: Poller[SlurmView] = Poller(
            self._read_slurm,
            SLURM_EVERY_S,
            backoff=lambda _failures: SLURM_UNREACHABLE_RETRY_S,
            describe=lambda error: ("unreachable", str(error)),
            wanted=self._shown,
            clock=clock,
        )
        self._slurm.subscribe(
            lambda view: self.post_message(SlurmPolled(view)),
            lambda link: self.post_message(SlurmLinkChanged(link)),
        )

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static(id="contexts-status")
        yield DataTable(id="contexts", cursor_type="row", zebra_stripes=True)
        yield Static(id="slurm-status")
        yield DataTable(id="slurm-jobs", cursor_type="row", zebra_stripes=True)
        yield SteadyFooter()

    def on_mount(self) -> None:
        contexts = self.query_one("#contexts", DataTable)
        contexts.border_title = "Contexts"
        contexts.add_columns("Name", "Kind", "Address", "State", "Health")
        jobs = self.query_one("#slurm-jobs", DataTable)
        jobs.border_title = "Slurm jobs"
        jobs.add_columns("Job", "Name", "Cluster", "State", "Nodes", "Left", "Reason")
        self._show_contexts_status()
        self._show_slurm_status()
        contexts.focus()
        start_loop(self, self._contexts.run, "contexts-poll")
        start_loop(self, self._slurm.run, "slurm-poll")

    # -- polling -------------------------------------------------------------------------------

    def _shown(self) -> bool:
        return self.app.screen is self or self.operation is not None

    async def _read_contexts(self) -> ContextsView:
        services = self.services

        def read() -> ContextsView:
            listing = services.contexts(services.settings)
            return ContextsView(listing, services.probe(listing.contexts, services.settings))

        return await asyncio.to_thread(read)

    async def _read_slurm(self) -> SlurmView:
        jobs = await self.services.slurm_jobs()
        return await asyncio.to_thread(read_slurm, jobs, self.services.clock.now())

    def on_screen_resume(self) -> None:
        self._contexts.poll_now()
        self._slurm.poll_now()

    @on(ContextsPolled)
    def _contexts_polled(self, message: ContextsPolled) -> None:
        self.contexts_view = message.view

    @on(SlurmPolled)
    def _slurm_polled(self, message: SlurmPolled) -> None:
        self.slurm_problem = None
        self.slurm_view = message.view
        for key, line in message.view.warnings:
            if key not in self._warned:
                self._warned.add(key)
                self.notify(line, severity="warning", timeout=15)

    @on(SlurmLinkChanged)
    def _slurm_link(self, message: SlurmLinkChanged) -> None:
        link = message.link
        if not link.healthy and link.state != "connecting":
            self.slurm_problem = link.message

    # -- rendering -----------------------------------------------------------------------------

    def watch_contexts_view(self) -> None:
        self._show_contexts()
        self._show_contexts_status()

    def watch_slurm_view(self) -> None:
        self._show_jobs()
        self._show_slurm_status()

    def watch_slurm_problem(self) -> None:
        self._show_slurm_status()

    def watch_operation(self) -> None:
        self._show_slurm_status()

    def _show_contexts(self) -> None:
        view = self.contexts_view
        table = self.query_one("#contexts", DataTable)
        selected = self.selected_context()
        table.clear()
        if view is None:
            return
        watched = self.services.connection.context
        for context in view.listing.contexts:
            health = view.health.get(context.name)
            state = health.state if health else "?"
            name = f"{'▶ ' if context.name == watched else '  '}{context.name}"
            table.add_row(
                cell(name),
                cell(context.kind),
                cell(where(context)),
                plain(state, STATE_STYLES.get(state, "bold yellow")),
                cell(health.summary if health else context.record),
                key=context.name,
            )
        if selected is not None and selected.name in view.listing.names():
            table.move_cursor(row=view.listing.names().index(selected.name))

    def _show_contexts_status(self) -> None:
        view = self.contexts_view
        status = self.query_one("#contexts-status", Static)
        if view is None:
            status.update("Listing and probing contexts…")
            return
        text = Text(f"{len(view.listing.contexts)} context(s) · enter watches the selected one")
        for problem in view.listing.problems:
            text.append("\n")
            text.append(plain(problem, "bold yellow"))
        status.update(text)

    def _show_jobs(self) -> None:
        view = self.slurm_view
        table = self.query_one("#slurm-jobs", DataTable)
        selected = self.selected_job_id()
        table.clear()
        if view is None:
            return
        now = self.services.clock.now()
        ids = []
        for job in view.jobs:
            cluster = view.cluster_of(job.job_id)
            if cluster is None and not job.active:
                continue  # someone else's job that ended: `squeue --states=all` keeps it a while
            ids.append(job.job_id)
            table.add_row(
                cell(job.job_id),
                cell(job.name),
                cell(cluster.name if cluster else "-"),
                plain(job.state, STATE_STYLES.get(job.state, "")),
                cell(job.nodes or str(job.node_count)),
                time_left_text(job.seconds_left(now)),
                cell(job.reason or ""),
                key=job.job_id,
            )
        if selected in ids:
            table.move_cursor(row=ids.index(selected))

    def _show_slurm_status(self) -> None:
        status = self.query_one("#slurm-status", Static)
        text = Text()
        if self.operation:
            text.append(plain(f"{self.operation}… ", "bold"))
        if self.slurm_problem:
            text.append(plain(f"Slurm unreachable: {self.slurm_problem}", "bold red"))
        elif self.slurm_view is None:
            text.append("Asking Slurm (squeue)…")
        else:
            count = len(self.query_one("#slurm-jobs", DataTable).rows)
            text.append(f"{count} Slurm job(s) · u up · d down · b script · o output")
        status.update(text)

    # -- selection -----------------------------------------------------------------------------

    def selected_context(self) -> Context | None:
        view = self.contexts_view
        table = self.query_one("#contexts", DataTable)
        if view is None or not table.row_count:
            return None
        row = table.cursor_row
        contexts = view.listing.contexts
        return contexts[row] if 0 <= row < len(contexts) else None

    def selected_job_id(self) -> str | None:
        table = self.query_one("#slurm-jobs", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def selected_cluster(self) -> SlurmCluster | None:
        view, job_id = self.slurm_view, self.selected_job_id()
        return view.cluster_of(job_id) if view is not None and job_id else None

    # -- actions -------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#contexts")
    def _context_chosen(self) -> None:
        self.action_switch_context()

    @on(DataTable.RowSelected, "#slurm-jobs")
    def _job_chosen(self) -> None:
        cluster = self.selected_cluster()
        view = self.contexts_view
        name = f"slurm:{cluster.name}" if cluster else None
        context = next((c for c in view.listing.contexts if c.name == name), None) if view else None
        if context is None:
            self.notify("no context for this job (yet): its Ray head has not published one")
            return
        self.app.post_message(SwitchContext(context))

    def action_switch_context(self) -> None:
        context = self.selected_context()
        if context is None:
            self.notify("no context selected", severity="warning")
            return
        self.app.post_message(SwitchContext(context))

    def action_other_table(self) -> None:
        contexts = self.query_one("#contexts", DataTable)
        jobs = self.query_one("#slurm-jobs", DataTable)
        (contexts if jobs.has_focus else jobs).focus()

    def action_refresh_all(self) -> None:
        self._contexts.poll_now()
        self._slurm.poll_now()

    def _busy(self) -> bool:
        if self.operation:
            self.notify(f"wait: {self.operation} is still running", severity="warning")
            return True
        return False

    def action_slurm_up(self) -> None:
        if self.services.settings.readonly:
            self.notify("read-only mode: no Slurm cluster is started", severity="warning")
            return
        if self._busy():
            return
        from sovtui.tui.screens.slurm_modals import SlurmUpForm

        taken = {c.name for c in self.slurm_view.clusters if c.active} if self.slurm_view else set()
        self.app.push_screen(SlurmUpForm(taken), self._submit_up)

    def _submit_up(self, request: object) -> None:
        from sovtui.cluster.slurm.script import SlurmRequest

        if isinstance(request, SlurmRequest):
            self.operation = f"submitting {request.name}"
            self._up(request)

    @work(group="slurm-op", exit_on_error=False)
    async def _up(self, request: object) -> None:
        from sovtui.cluster.slurm import lifecycle
        from sovtui.cluster.slurm.script import RequestError, SlurmRequest

        assert isinstance(request, SlurmRequest)
        try:
            jobs = await self.services.slurm_jobs()
            record = await lifecycle.submit(request, jobs)
        except (SlurmError, RequestError, OSError) as error:
            self.notify(f"slurm up: {error}", severity="error", timeout=10)
        else:
            self.notify(f"submitted job {record.job_id} ({record.name})", timeout=6)
        finally:
            self.operation = None
        self.action_refresh_all()

    def action_slurm_down(self) -> None:
        if self.services.settings.readonly:
            self.notify("read-only mode: no Slurm cluster is cancelled", severity="warning")
            return
        if self._busy():
            return
        cluster = self.selected_cluster()
        if cluster is None:
            job = self.selected_job_id()
            what = f"job {job} is not a sovtui cluster; cancel it with scancel" if job else None
            self.notify(what or "no Slurm cluster selected", severity="warning")
            return
        if not cluster.active:
            self.notify(f"{cluster.name} has already ended ({cluster.state})")
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.operation = f"cancelling {cluster.name}"
                self._down(cluster.name)

        question = (
            f"Cancel Slurm job {cluster.job_id} (cluster {cluster.name})?\n"
            "Its Ray cluster, jobs and object store go with it."
        )
        self.app.push_screen(ConfirmScreen(question), answer)

    @work(group="slurm-op", exit_on_error=False)
    async def _down(self, name: str) -> None:
        from sovtui.cluster.slurm import lifecycle, records

        record = records.find(name)
        try:
            if record is None:
                raise SlurmError(f"no record of cluster {name}")
            state = await lifecycle.cancel(record)
        except SlurmError as error:
            self.notify(f"slurm down {name}: {error}", severity="error", timeout=10)
        else:
            self.notify(f"cluster {name} (job {record.job_id}) is down: {state}", timeout=6)
        finally:
            self.operation = None
        self.action_refresh_all()

    def _view_file(self, title: str, path: Path | None) -> None:
        from sovtui.tui.screens.slurm_modals import FileViewer

        if path is None:
            self.notify("no sovtui Slurm cluster selected", severity="warning")
            return
        self.app.push_screen(FileViewer(title, path))

    def action_show_script(self) -> None:
        cluster = self.selected_cluster()
        path = Path(cluster.state_dir) / SCRIPT_FILE if cluster else None
        self._view_file(f"{cluster.name}: batch script" if cluster else "", path)

    def action_show_output(self) -> None:
        cluster = self.selected_cluster()
        path = Path(cluster.state_dir) / f"slurm-{cluster.job_id}.out" if cluster else None
        self._view_file(f"{cluster.name}: job {cluster.job_id} output" if cluster else "", path)
