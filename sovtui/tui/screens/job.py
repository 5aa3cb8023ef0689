"""One job (Enter on the jobs table): status, launch metadata, the live log, stop and delete."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Header, Input, Static

from sovtui.monitor.cluster_feed import describe_dashboard_error
from sovtui.monitor.link_state import LinkState
from sovtui.monitor.poller import Poller
from sovtui.presets.launch import launch_info
from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.job_delete import delete_for_good
from sovtui.ray_api.job_report import failure_headline, last_lines
from sovtui.ray_api.jobs import JobsApi
from sovtui.ray_api.log_file import LOG_SAVE_MAX_BYTES, save_driver_log
from sovtui.ray_api.logs import LogTail
from sovtui.ray_api.models import JobDetails
from sovtui.ray_api.snapshot import ClusterSnapshot
from sovtui.ray_api.state import StateApi
from sovtui.support import locations
from sovtui.support.formatting import job_duration, job_start
from sovtui.support.safe_text import visible
from sovtui.tui.job_resources import (
    JOB_ACTORS,
    JOB_FAILED_TASKS,
    JobResources,
    fetch_job_resources,
    packed,
)
from sovtui.tui.loops import start_loop
from sovtui.tui.messages import RefreshDashboard
from sovtui.tui.screens.confirm import ConfirmScreen
from sovtui.tui.screens.log_keys import LogKeys, log_bindings
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.jobs_table import STATUS_STYLES
from sovtui.tui.widgets.log_pane import LogPane
from sovtui.tui.widgets.plain import plain
from sovtui.tui.widgets.resource_table import ResourceTable
from sovtui.tui.widgets.search_log import SearchLog


@dataclass
class JobLoaded(Message):
    details: JobDetails

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, JobLoaded)


@dataclass
class LogEnded(Message):
    """The log has been read to its end (the job finished)."""


@dataclass
class JobRayLoaded(Message):
    """A poll of the job's actors and tasks (State API)."""

    resources: JobResources

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, JobRayLoaded)


@dataclass
class JobRayLink(Message):
    link: LinkState


def details_table(details: JobDetails, now: float) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    # Every value is the cluster's text: Text (a str cell of a Rich table is parsed as markup).
    status = plain(details.status, STATUS_STYLES.get(details.status, "bold"))
    if details.error_type:
        status.append(plain(f"  {details.error_type}", "bold red"))
    table.add_row("Status", status)
    info = launch_info(details.metadata)
    if info.preset:
        table.add_row("Preset", plain(info.preset))
        params = " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(info.params.items()))
        table.add_row("Params", plain(params or "(none)"))
    runtime = job_duration(details.start_time, details.end_time, now)
    table.add_row(
        "Runtime",
        f"{runtime}  (started {job_start(details.start_time)})" if details.start_time else runtime,
    )
    # One line: the full command is the log's first line ("Running entrypoint for job ...").
    entrypoint = plain(details.entrypoint)
    entrypoint.no_wrap, entrypoint.overflow = True, "ellipsis"
    table.add_row("Entrypoint", entrypoint)
    if details.message and details.status != "FAILED":
        table.add_row("Message", plain(details.message.strip(), multiline=True))
    return table


def failure_text(details: JobDetails, log_lines: list[str]) -> Text:
    text = plain(failure_headline(details), "bold")
    if details.message:
        # Ray's message repeats the log's end after its first line; the tail below shows that.
        text.append(plain("\n" + details.message.strip().splitlines()[0], multiline=True))
    tail = last_lines("\n".join(log_lines))  # lines from the SearchLog: already made safe
    if tail:
        text.append(f"\nlast {len(tail)} log lines:", style="bold")
        for line in tail:
            text.append(plain("\n  " + line, multiline=True))
    return text


def tail_of(text: str, keep: int) -> tuple[int, list[str]]:
    """(lines left out, the last `keep` lines) of a log, without splitting all of it:
    a million-line log would cost a million small strings (and their RSS) for nothing."""
    text = text.rstrip("\n")
    if not text:
        return 0, []
    cut = len(text)
    for _ in range(keep):
        cut = text.rfind("\n", 0, cut)
        if cut < 0:
            return 0, text.split("\n")
    return text.count("\n", 0, cut) + 1, text[cut + 1 :].split("\n")


def log_file_name(job_id: str, now: float) -> str:
    safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", job_id)[:80] or "job"
    return f"{safe_id}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}.log"


class JobScreen(LogKeys):
    CSS_PATH = "job.tcss"  # this screen's styles load with it, not at start-up
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Return to the dashboard"),
        *log_bindings(show_modes=False),
        Binding("n", "next_match", "Next", tooltip="Jump to the next line that matches"),
        Binding(
            "N",
            "previous_match",
            "Prev",
            show=False,
            tooltip="Jump to the previous line that matches",
        ),
        Binding("s", "stop", "Stop", tooltip="Ask Ray to stop this job, after a confirmation"),
        Binding(
            "x",
            "delete",
            "Delete",
            tooltip="Delete this finished job and its log, after a confirmation",
        ),
        Binding(
            "end",
            "follow",
            "Follow",
            show=False,
            tooltip="Clear the search and follow new lines",
        ),
        Binding("w", "save_log", "Save log", tooltip="Write the whole log to a file"),
        Binding(
            "a",
            "ray_focus",
            "Actors",
            tooltip="Move between the job's actors, its failed tasks and the log "
            "(enter on an actor or a task: its detail and its log)",
        ),
        Binding(
            "e",
            "efficiency",
            "Efficiency",
            show=False,
            tooltip="The job's efficiency note from the flight recorder (CPU, GPUs, memory)",
        ),
        Binding(
            "y",
            "copy",
            "Copy id",
            show=False,
            tooltip="Copy the job id, the focused actor's or task's id, or the current match's "
            "line after n/N (OSC 52)",
        ),
    ]
    # `w` writes whatever size the log has up to this; past it, nothing is kept and it says so.
    save_max_bytes = LOG_SAVE_MAX_BYTES

    def __init__(self, services: Services, job_id: str, details: JobDetails | None = None) -> None:
        super().__init__()
        self.services = services
        self.job_id = job_id
        self.details = details
        self.log_ended = False
        self.ray_job_id: str | None = None  # Ray's job id (hex) whose actors and tasks show
        self.ray_poller: Poller[JobResources] | None = None
        self.ray_resources: JobResources | None = None  # the latest poll's, shown

    @property
    def jobs(self) -> JobsApi:
        return JobsApi(self.services.connection.client)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static(id="job-details")
        yield Static(id="job-efficiency")
        with VerticalScroll(id="job-failure"):
            yield Static(id="job-failure-text")
        # the summary across the width (its lines are long), the two tables side by side under it
        with Vertical(id="job-ray"):
            yield Static(id="job-task-summary")
            with Horizontal(id="job-ray-tables"):
                yield ResourceTable(JOB_ACTORS, id="job-actors")
                yield ResourceTable(JOB_FAILED_TASKS, id="job-failed")
        yield LogPane(
            id="job-log", max_lines=self.services.settings.log_lines, clock=self.services.clock.now
        )
        yield Input(placeholder="filter (regex or text; enter: apply, esc: close)", id="job-search")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.sub_title = visible(self.job_id)
        self.query_one("#job-failure").display = False
        self.query_one("#job-search").display = False
        self.query_one("#job-efficiency").display = False
        self.query_one("#job-ray").display = False
        log = self.query_one(SearchLog)
        log.border_title = "Log"
        log.focus()
        if self.details is not None:
            self._show_details(self.details)
        self.watch(self.app, "snapshot", self._from_snapshot)
        if self.services.replay is not None:
            self._show_recorded()
            return
        self._load_details()
        self._follow_log()
        if self.details is not None and self.details.is_terminal:
            self._load_efficiency()

    def _show_recorded(self) -> None:
        """A replay: the log tail and the efficiency note the recorder kept; nothing is asked."""
        replay = self.services.replay
        if replay is None:
            return
        key = self.job_id
        if self.details is not None:
            key = self.details.submission_id or self.details.job_id or key
        log = self.pane
        tail = replay.log_tails.get(key)
        if tail:
            skipped, lines = tail_of(tail, log.keep)
            log.append(lines, skipped=skipped)
            log.call_after_refresh(log.scroll_end, animate=False)
            log.border_subtitle = "recorded end of log"
        else:
            log.border_subtitle = "no log recorded"
        note = replay.note(key)
        if note is not None:
            self._show_efficiency(note, False)

    # -- details ----------------------------------------------------------------------------

    @work(exclusive=True, group="job-details", exit_on_error=False)
    async def _load_details(self) -> None:
        try:
            self.post_message(JobLoaded(await self.jobs.job(self.job_id)))
        except DashboardError as error:
            self.notify(str(error), severity="error", timeout=10)

    def _from_snapshot(self, snapshot: ClusterSnapshot | None) -> None:
        if snapshot is None:
            return
        for job in snapshot.jobs:
            if self.job_id in (job.submission_id, job.job_id):
                self._show_details(job)

    @on(JobLoaded)
    def _loaded(self, message: JobLoaded) -> None:
        self._show_details(message.details)

    def _show_details(self, details: JobDetails) -> None:
        self.details = details
        self.query_one("#job-details", Static).update(
            details_table(details, self.services.clock.now())
        )
        self.refresh_bindings()
        self._show_failure()
        if details.job_id and self.ray_job_id is None:
            self._start_ray(details.job_id)

    def _show_failure(self) -> None:
        details = self.details
        panel = self.query_one("#job-failure")
        failed = details is not None and details.status == "FAILED" and self.log_ended
        panel.display = failed
        self.set_class(failed, "-failed")  # with the actors and tasks, a short screen shares out
        if failed and details is not None:
            panel.border_title = plain(failure_headline(details))
            lines = self.query_one(SearchLog).tail(40)
            self.query_one("#job-failure-text", Static).update(failure_text(details, lines))
            # The end of the tail (the exception, the exit) is what matters most.
            panel.call_after_refresh(panel.scroll_end, animate=False)

    # -- the job's actors and tasks (State API) ----------------------------------------------

    def _start_ray(self, job_id: str) -> None:
        """Poll the actors and tasks of Ray's job `job_id` while this screen is shown; a job
        that has ended is asked once, and again when the screen is shown anew."""
        if self.services.replay is not None:
            return  # a recording has no State API answers
        self.ray_job_id = job_id
        api = StateApi(self.services.connection.client)
        poller: Poller[JobResources] = Poller(
            lambda: fetch_job_resources(api, job_id),
            max(2.0, self.services.settings.interval),
            max_backoff=max(30.0, self.services.settings.interval),
            describe=describe_dashboard_error,
            wanted=self._ray_wanted,
            clock=self.services.clock,
        )
        poller.subscribe(
            lambda resources: self.post_message(JobRayLoaded(resources)),
            lambda link: self.post_message(JobRayLink(link)),
        )
        self.ray_poller = poller
        self.query_one("#job-task-summary", Static).update(plain("asking Ray for the job's tasks…"))
        self.query_one("#job-ray").display = True
        self.add_class("-ray")
        self.refresh_bindings()
        if self.services.poll:
            start_loop(self, poller.run, "job-ray-poll")

    def on_resize(self) -> None:
        # A short terminal: the actors and tasks shrink, so the log keeps some room.
        self.set_class(self.size.height < 32, "-short")
        self._show_task_summary()  # its lines are packed to the width

    def _ray_wanted(self) -> bool:
        """Polled only while shown; a finished job's actors and tasks change no more."""
        ended = self.details is not None and self.details.is_terminal
        poller = self.ray_poller
        # not `is_current`: Textual counts the screen right under the top one as shown too
        shown = self.app.screen is self
        return shown and not (ended and poller is not None and poller.latest)

    def on_screen_resume(self) -> None:
        if self.ray_poller is not None and self.ray_poller.latest is not None:
            self.ray_poller.poll_now()  # back from a detail: fresh rows now

    @on(JobRayLoaded)
    def _ray_loaded(self, message: JobRayLoaded) -> None:
        resources = message.resources
        self.query_one("#job-actors", ResourceTable).show(resources.actors, resources.actors_total)
        failed = self.query_one("#job-failed", ResourceTable)
        failed.show(resources.failed, resources.failed_total)
        failed.display = bool(resources.failed)
        self.ray_resources = resources
        self._show_task_summary()

    def _show_task_summary(self) -> None:
        """The totals, the notes (before the functions: a short panel cuts its end), then the
        functions packed into lines of the panel's width, each one whole."""
        resources = self.ray_resources
        if resources is None:
            return
        first, *functions = resources.summary_lines()
        width = max(20, self.size.width - 2)  # the summary spans the screen, less its padding
        lines = [first, *resources.notes, *packed(functions, width)]
        summary = self.query_one("#job-task-summary", Static)
        summary.update(plain("\n".join(lines), multiline=True))

    @on(JobRayLink)
    def _ray_link(self, message: JobRayLink) -> None:
        link = message.link
        if not link.healthy and link.message:
            self.ray_resources = None  # the error stays shown until a poll answers (resizes too)
            summary = self.query_one("#job-task-summary", Static)
            summary.update(plain(f"actors and tasks: {link.message}", "bold red"))

    def action_ray_focus(self) -> None:
        """The log -> the actors -> the failed tasks (when any) -> the log."""
        order: list[ResourceTable | SearchLog] = [self.query_one("#job-actors", ResourceTable)]
        failed = self.query_one("#job-failed", ResourceTable)
        if failed.display:
            order.append(failed)
        order.append(self.pane)
        focused = self.focused
        index = order.index(focused) if focused in order else len(order) - 1
        order[(index + 1) % len(order)].focus()

    @on(ResourceTable.RowSelected, "#job-actors, #job-failed")
    def _ray_row_chosen(self, event: ResourceTable.RowSelected) -> None:
        from sovtui.tui.screens.resources import DetailScreen

        table = event.data_table
        if not isinstance(table, ResourceTable):
            return
        chosen = table.selected()
        if chosen is not None:
            api = StateApi(self.services.connection.client)
            screen = DetailScreen(api, table.view, chosen[0], chosen[1], services=self.services)
            self.app.push_screen(screen)

    # -- the log ----------------------------------------------------------------------------

    @work(exclusive=True, group="job-log", exit_on_error=False)
    async def _follow_log(self) -> None:
        log = self.pane
        try:
            details = self.details or await self.jobs.job(self.job_id)
            if details.is_terminal:
                # A finished job's log is complete: one read, no socket.
                skipped, lines = tail_of(await self.jobs.logs(self.job_id), log.keep)
                log.append(lines, skipped=skipped)
                log.call_after_refresh(log.scroll_end, animate=False)
            else:
                await LogTail(self.services.connection.client, self.job_id).follow(log.append)
        except DashboardError as error:
            log.border_subtitle = plain(f"log unavailable: {error}")
            return
        self.post_message(LogEnded())

    @on(LogEnded)
    def _log_ended(self) -> None:
        self.log_ended = True
        log = self.query_one(SearchLog)
        log.border_subtitle = "end of log"
        recorder = self.services.feed.recorder
        if recorder is not None and self.details is not None and self.details.is_terminal:
            # The ended job's log tail goes into its record (the recorder bounds it).
            key = self.details.submission_id or self.details.job_id or self.job_id
            recorder.submit_job_log(key, "\n".join(log.tail(log.keep)))
        self._load_details()
        self._show_failure()
        self._load_efficiency()

    # -- efficiency (the flight recorder) -----------------------------------------------------

    def action_efficiency(self) -> None:
        self._load_efficiency(asked=True)

    @work(thread=True, exclusive=True, group="job-efficiency", exit_on_error=False)
    def _load_efficiency(self, asked: bool = False) -> None:
        """SQLite in a thread: the note recorded at the job's end, or computed now."""
        from sovtui.monitor.recorded_history import job_efficiency
        from sovtui.recorder.identity import Target

        services = self.services
        latest = services.feed.latest
        details = self.details
        key = (details.submission_id or details.job_id) if details is not None else None
        note = job_efficiency(
            Target.of_connection(services.connection),
            latest.session_name if latest is not None else None,
            key or self.job_id,
            services.clock.now(),
        )
        self.app.call_from_thread(self._show_efficiency, note, asked)

    def _show_efficiency(self, note: str | None, asked: bool) -> None:
        panel = self.query_one("#job-efficiency", Static)
        if note is None:
            if asked:
                self.notify("no recorded samples of this job (flight recorder)", timeout=5)
            return
        panel.update(plain(f"Efficiency: {note}"))
        panel.display = True

    # -- filter and search -------------------------------------------------------------------

    def filtered(self) -> None:
        if self.pane.query_text and not self.pane.inverted:
            self.action_next_match()

    def action_copy(self) -> None:
        focused = self.focused
        if isinstance(focused, ResourceTable) and (chosen := focused.selected()) is not None:
            self.app.copy_to_clipboard(chosen[0])  # the focused actor's or task's id
            self.notify(f"copied {visible(chosen[0])}", markup=False, timeout=2)
            return
        log = self.pane
        if log.current >= 0 and log.matches:
            line = log.current_line() or ""
            self.app.copy_to_clipboard(line)
            self.notify("copied the line", timeout=2)
            return
        self.app.copy_to_clipboard(self.job_id)
        self.notify(f"copied {visible(self.job_id)}", markup=False, timeout=2)

    def action_next_match(self, step: int = 1) -> None:
        log = self.query_one(SearchLog)
        line = log.jump(step)
        if line is None:
            if log.highlighter is not None and log.matches == [] and log.all_lines:
                self.notify("no match", severity="warning", timeout=2)
            return
        log.border_subtitle = f"match {log.current + 1}/{len(log.matches)} · line {line + 1}"

    # -- saving the whole log ---------------------------------------------------------------

    def action_save_log(self) -> None:
        self._save_log()

    @work(exclusive=True, group="job-save", exit_on_error=False)
    async def _save_log(self) -> None:
        """The whole log (the screen keeps only the end), streamed from the dashboard into a
        0600 file byte for byte; never held in memory. Leaving the screen cancels it."""
        self.app.notify("saving the whole log…", timeout=3)
        name = log_file_name(self.job_id, self.services.clock.now())
        path = locations.data_dir() / "logs" / name
        try:
            saved = await save_driver_log(
                self.services.connection.client, self.job_id, path, max_bytes=self.save_max_bytes
            )
        except (DashboardError, OSError) as error:
            self.app.notify(f"log not saved: {error}", severity="error", timeout=10)
            return
        except asyncio.CancelledError:
            self.app.notify("log not saved: the job screen was closed", severity="warning")
            raise
        self.app.notify(
            f"{saved.lines:,} lines ({saved.size:,} bytes) saved to {saved.path}", timeout=10
        )

    def action_previous_match(self) -> None:
        self.action_next_match(-1)

    def action_follow(self) -> None:
        self.set_filter("", inverted=False)

    def action_back(self) -> None:
        if not self.close_filter():
            self.app.pop_screen()

    # -- stop and delete --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        terminal = self.details is not None and self.details.is_terminal
        if action in ("stop", "delete") and self.services.settings.readonly:
            return False  # read-only: hidden, and refused (below) if run some other way
        if action == "stop":
            return True if not terminal else None
        if action == "delete":
            return True if terminal else None
        if action == "ray_focus":
            return self.ray_job_id is not None  # hidden until Ray's job id is known
        return True

    def refused(self, what: str) -> bool:
        if self.services.settings.readonly:
            self.notify(f"read-only mode: refusing to {what}", severity="warning", timeout=6)
            return True
        return False

    def action_stop(self) -> None:
        if self.refused(f"stop job {self.job_id}"):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._stop()

        self.app.push_screen(ConfirmScreen(f"Stop job {self.job_id}?"), answered)

    def action_delete(self) -> None:
        if self.refused(f"delete job {self.job_id}"):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete()

        question = f"Delete job {self.job_id}?"
        self.app.push_screen(ConfirmScreen(question, "Its record and log are removed."), answered)

    @work(exclusive=True, group="job-action", exit_on_error=False)
    async def _stop(self) -> None:
        try:
            stopped = await self.jobs.stop(self.job_id)
        except DashboardError as error:
            self.notify(str(error), severity="error", timeout=10)
            return
        self.notify(f"{self.job_id}: {'stop requested' if stopped else 'already finished'}")
        self._load_details()
        self.app.post_message(RefreshDashboard())

    @work(exclusive=True, group="job-action", exit_on_error=False)
    async def _delete(self) -> None:
        try:
            await delete_for_good(self.jobs, StateApi(self.jobs.client), self.job_id)
        except DashboardError as error:
            self.notify(str(error), severity="error", timeout=10)
            return
        self.notify(f"{self.job_id} deleted")
        self.app.post_message(RefreshDashboard())
        self.dismiss()
