"""The Cluster screen (2): Compose files, the project's containers, up / scale / down / logs.

Docker calls block, so each runs in a thread that posts messages; the screen turns them into
reactives the widgets watch. The container listing is a polling model (monitor.poller), like
the dashboard's. No engine is a state shown on screen, never a crash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Header, RichLog, Static

from sovtui.cluster.compose import store
from sovtui.cluster.compose.events import ContainerInfo, ProgressEvent
from sovtui.cluster.compose.store import ClusterRecord
from sovtui.cluster.connect import MODE_COMPOSE
from sovtui.cluster.driver_api import ClusterDriver, compose_files, compose_folder
from sovtui.cluster.errors import ClusterError, DockerUnavailable
from sovtui.monitor.link_state import LinkState
from sovtui.monitor.poller import Poller
from sovtui.support.extras import MissingExtra
from sovtui.support.safe_text import visible
from sovtui.tui.loops import start_loop
from sovtui.tui.messages import ComposeClusterRemoved, ShowComposeCluster
from sovtui.tui.screens.cluster_modals import LogsScreen, UpRequest, UpScreen
from sovtui.tui.screens.confirm import ConfirmScreen
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.container_table import ContainerTable
from sovtui.tui.widgets.plain import plain

NO_DRIVER = "this sovtui was started without a Docker driver; Compose clusters are off"
UNAVAILABLE_SLOWDOWN = 5  # poll a missing engine this many times less often
LOG_TAIL = 200


@dataclass(frozen=True)
class OpResult:
    message: str
    record: ClusterRecord | None = None
    token: str | None = None


@dataclass(frozen=True)
class DockerView:
    """One listing of the project: its record (None: no cluster here) and its containers."""

    record: ClusterRecord | None
    containers: tuple[ContainerInfo, ...]


def read_docker(driver: ClusterDriver) -> DockerView:
    containers = tuple(driver.ps())
    return DockerView(driver.record(), containers)


@dataclass
class ClusterPolled(Message):
    view: DockerView

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ClusterPolled)


@dataclass
class DockerLinkChanged(Message):
    link: LinkState

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DockerLinkChanged)


@dataclass
class OpProgress(Message):
    op: str
    event: ProgressEvent


@dataclass
class OpFinished(Message):
    op: str
    result: OpResult


@dataclass
class OpFailed(Message):
    op: str
    reason: str
    unavailable: bool  # no Docker engine: the screen's problem, not only this operation's

    @classmethod
    def of(cls, op: str, error: BaseException) -> OpFailed:
        return cls(op, describe(error), isinstance(error, DockerUnavailable))


def describe(error: BaseException) -> str:
    if isinstance(error, ClusterError | ValueError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def progress_line(event: ProgressEvent) -> str:
    # Docker's and the cluster's words: literal (the log has markup off), controls made visible.
    return visible(f"{event.stage}: {event.message}")


def _up(request: UpRequest) -> Callable[[ClusterDriver], OpResult]:
    def run(driver: ClusterDriver) -> OpResult:
        record = driver.up(request.file, request.workers)
        token = store.read_token(driver.project)
        return OpResult(f"{driver.project} is up at {record.dashboard_url}", record, token)

    return run


def _scale(delta: int) -> Callable[[ClusterDriver], OpResult]:
    def run(driver: ClusterDriver) -> OpResult:
        record = driver.record()
        if record is None:
            raise ClusterError(f"no cluster '{driver.project}' here yet: press u to start one")
        wanted = record.workers + delta
        if wanted < 0:
            raise ClusterError(f"{driver.project} has no worker to remove")
        driver.scale(wanted)
        return OpResult(f"{driver.project}: {wanted} worker(s)")

    return run


def _down(driver: ClusterDriver) -> OpResult:
    containers, networks = driver.down()
    return OpResult(f"{driver.project}: removed {containers} container(s), {networks} network(s)")


class ClusterScreen(Screen[None]):
    CSS_PATH = "cluster.tcss"  # this screen's styles load with it, not at start-up
    BINDINGS = [
        Binding("u", "up", "Up", tooltip="Start a Ray cluster from a Compose file"),
        Binding(
            "plus,equals_sign",
            "scale(1)",
            "+1 worker",
            key_display="+",
            tooltip="Scale the Compose cluster up by one",
        ),
        Binding(
            "minus",
            "scale(-1)",
            "-1 worker",
            key_display="-",
            tooltip="Scale the Compose cluster down by one",
        ),
        Binding("d", "down", "Down", tooltip="Remove the cluster's containers and networks"),
        Binding("l", "logs", "Logs", tooltip="Last log lines of the selected container"),
        Binding("r", "refresh_containers", "Refresh", tooltip="Ask Docker now"),
    ]

    problem: reactive[str | None] = reactive(None)  # why Compose features are off
    record: reactive[ClusterRecord | None] = reactive(None)
    operation: reactive[str | None] = reactive(None)  # up / scale / down while one runs
    polled: reactive[bool] = reactive(False)

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self._driver: ClusterDriver | None = None
        self._last_stage = ""
        interval = services.settings.interval
        self._docker: Poller[DockerView] = Poller(
            self._read_docker,
            interval,
            backoff=lambda _failures: interval * UNAVAILABLE_SLOWDOWN,
            describe=lambda error: ("unavailable", describe(error)),
            wanted=self._worth_a_poll,
            clock=services.clock,
        )
        self._docker.subscribe(
            lambda view: self.post_message(ClusterPolled(view)),
            lambda link: self.post_message(DockerLinkChanged(link)),
        )

    @property
    def project(self) -> str:
        return self.services.compose_project

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static(id="cluster-status")
        with Horizontal(id="cluster-top"):
            yield Static(id="compose-files")
            yield RichLog(
                id="cluster-progress", wrap=True, markup=False, max_lines=500, min_width=20
            )
        yield ContainerTable(id="containers")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one("#compose-files", Static).border_title = "Compose files"
        progress = self._progress_log()
        progress.border_title = "Progress"
        progress.write("Nothing run yet: up, scale and down report here as they go.")
        table = self.query_one(ContainerTable)
        table.project = self.project
        table.focus()
        self._show_files()
        self._show_status()
        # The App retitles itself when the dashboard watches another cluster: "on the dashboard".
        self.watch(self.app, "sub_title", lambda _title: self._show_status(), init=False)
        start_loop(self, self._docker.run, "cluster-poll")

    def _progress_log(self) -> RichLog:
        return self.query_one("#cluster-progress", RichLog)

    # -- the driver --------------------------------------------------------------------------

    def _driver_or_problem(self) -> ClusterDriver | None:
        """The project's driver; None (and `problem` set) when there is none to be had."""
        if self._driver is not None and self._driver.project == self.project:
            return self._driver
        factory = self.services.cluster_driver
        if factory is None:
            self.problem = NO_DRIVER
            return None
        try:
            self._driver = factory(self.project)
        except (ValueError, MissingExtra) as error:  # a bad project name; no Docker SDK
            self.problem = str(error)
            return None
        return self._driver

    def _ready(self, what: str) -> ClusterDriver | None:
        """The driver for an action that needs Docker, or a notification saying why not."""
        driver = self._driver_or_problem()
        if driver is None or self.problem:
            self.notify(f"{what} needs Docker: {self.problem}", severity="warning", timeout=8)
            return None
        if self.operation:
            self.notify(f"wait: {self.operation} is still running", severity="warning")
            return None
        return driver

    # -- polling: the model's timer -> one Docker listing at a time (a thread) -> message ------

    def _worth_a_poll(self) -> bool:
        # Another mode or a modal in front: nothing to refresh for, unless an operation runs.
        return self.app.screen is self or self.operation is not None

    async def _read_docker(self) -> DockerView:
        driver = self._driver_or_problem()
        if driver is None:
            raise ClusterError(self.problem or NO_DRIVER)
        return await asyncio.to_thread(read_docker, driver)  # about a second with stats

    def on_screen_resume(self) -> None:
        self.poll_now()

    def poll_now(self) -> None:
        self._docker.poll_now()

    @on(ClusterPolled)
    def _polled(self, message: ClusterPolled) -> None:
        self.problem = None
        self.record = message.view.record
        self.polled = True
        self.query_one(ContainerTable).containers = message.view.containers

    @on(DockerLinkChanged)
    def _docker_link_changed(self, message: DockerLinkChanged) -> None:
        link = message.link
        if link.healthy or link.state == "connecting":
            return  # a listing follows, and clears the problem
        self.problem = link.message
        self.polled = True
        self.query_one(ContainerTable).containers = ()

    # -- status and files ------------------------------------------------------------------

    def watch_problem(self) -> None:
        self._show_status()

    def watch_record(self) -> None:
        self._show_status()
        self._show_files()

    def watch_polled(self) -> None:
        self._show_status()

    def watch_operation(self, operation: str | None) -> None:
        progress = self._progress_log()
        progress.set_class(operation is not None, "-busy")
        progress.border_title = f"Progress: {operation}…" if operation else "Progress"
        self._show_status()

    def _show_status(self) -> None:
        status = self.query_one("#cluster-status", Static)
        status.set_class(bool(self.problem), "-problem")
        project = plain(self.project, "bold")
        if self.problem:
            text = Text.assemble(("Docker unavailable: ", "bold"), plain(self.problem))
        elif not self.polled:
            text = Text.assemble("Project ", project, ": asking Docker…")
        elif self.record is None and self.operation:
            text = Text.assemble("Project ", project, ": ")
        elif self.record is None:
            text = Text.assemble("Project ", project, ": no cluster here · u starts one")
        else:
            record = self.record
            connection = self.services.connection
            watched = connection.mode == MODE_COMPOSE and connection.project == self.project
            text = Text.assemble(
                "Project ",
                project,
                plain(f" · {Path(record.compose_file).name} · {record.workers} worker(s) · "),
                plain(record.dashboard_url, "underline"),
                " · on the dashboard (1)" if watched else "",
            )
        if self.operation:
            text.append(f"{' · ' if self.record else ''}{self.operation} running…", style="bold")
        status.update(text)

    def _show_files(self) -> None:
        files = compose_files()
        box = self.query_one("#compose-files", Static)
        if not files:
            box.update(plain(f"none in {compose_folder()}"))
            return
        used = Path(self.record.compose_file).name if self.record else None
        lines = Text()
        for index, path in enumerate(files):
            if index:
                lines.append("\n")
            if path.name == used:
                lines.append(plain(f"● {path.name}", "bold"))
            else:
                lines.append(plain(f"  {path.name}"))
        box.update(lines)

    # -- operations: thread worker, ProgressEvents as messages -----------------------------

    def _start(
        self, op: str, driver: ClusterDriver, run: Callable[[ClusterDriver], OpResult]
    ) -> None:
        self.operation = op
        self._last_stage = ""
        self._progress_log().write(visible(f"── {op} {self.project} ──"))
        self._operate(op, driver, run)

    @work(thread=True, group="cluster-op", exit_on_error=False)
    def _operate(
        self, op: str, driver: ClusterDriver, run: Callable[[ClusterDriver], OpResult]
    ) -> None:
        previous = driver.progress

        def report(event: ProgressEvent) -> None:
            self.post_message(OpProgress(op, event))  # thread-safe

        driver.progress = report
        try:
            result = run(driver)
        except Exception as error:  # ComposeError, PortInUse, engine errors: shown, not raised
            self.post_message(OpFailed.of(op, error))
            return
        finally:
            driver.progress = previous
        self.post_message(OpFinished(op, result))

    @on(OpProgress)
    def _progress(self, message: OpProgress) -> None:
        self._last_stage = message.event.stage
        self._progress_log().write(progress_line(message.event))
        self.poll_now()  # containers appear and go while it works

    @on(OpFailed)
    def _failed(self, message: OpFailed) -> None:
        self.operation = None
        self._progress_log().write(visible(f"failed: {message.reason}"))
        self.notify(message.reason, title=f"{message.op} failed", severity="error", timeout=15)
        if message.unavailable:
            self.problem = message.reason
        self.poll_now()

    @on(OpFinished)
    def _finished(self, message: OpFinished) -> None:
        result = message.result
        if self._last_stage != "done":  # the driver said nothing final itself
            self._progress_log().write(visible(f"done: {result.message}"))
        self.notify(result.message, title=f"{message.op} done")
        if message.op == "up" and result.record is not None and result.token:
            record = result.record
            self.app.post_message(
                ShowComposeCluster(record.project, record.dashboard_url, result.token)
            )
        elif message.op == "down":
            self.app.post_message(ComposeClusterRemoved(self.project))
        self.operation = None
        self._show_status()
        self.poll_now()

    # -- actions -----------------------------------------------------------------------------

    def action_refresh_containers(self) -> None:
        self.poll_now()

    def action_up(self) -> None:
        if self._ready("up") is None:
            return
        files = compose_files()
        if not files:
            self.notify(f"no Compose files in {compose_folder()}", severity="warning")
            return
        chosen = Path(self.record.compose_file) if self.record else None
        workers = self.record.workers if self.record else 1

        def start(request: UpRequest | None) -> None:
            driver = self._ready("up")
            if request is not None and driver is not None:
                self._start("up", driver, _up(request))

        self.app.push_screen(UpScreen(self.project, files, chosen, workers), start)

    def action_scale(self, delta: int) -> None:
        driver = self._ready("scale")
        if driver is not None:
            self._start("scale", driver, _scale(delta))

    def action_down(self) -> None:
        if self._ready("down") is None:
            return

        def answer(yes: bool | None) -> None:
            driver = self._ready("down")
            if yes and driver is not None:
                self._start("down", driver, _down)

        question = (
            f"Remove every container and network of project {self.project}?\n"
            "The cluster's jobs and object store go with them."
        )
        self.app.push_screen(ConfirmScreen(question), answer)

    def action_logs(self) -> None:
        driver = self._driver_or_problem()
        if driver is None or self.problem:
            self.notify(f"logs need Docker: {self.problem}", severity="warning", timeout=8)
            return
        name = self.query_one(ContainerTable).selected_name
        if name is None:
            self.notify("no container selected", severity="warning")
            return
        self.app.push_screen(LogsScreen(driver, name, LOG_TAIL))
