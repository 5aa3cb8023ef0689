"""Bench (key 4): run the sort and train benchmarks and watch their metrics live.

A worker follows the watched job's log (`LogTail`), feeds it to a `MetricsParser` and posts
one `MetricsBatch` per batch of lines; the screen keeps every job's records in the `series`
reactive and redraws its panels from `bench_view`. When a job ends well its results are saved
to the same store as `sovtui bench` (so `sovtui bench history` lists it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Header, Static

from sovtui.bench.live import (
    BENCH_PRESETS,
    SORT_PRESET,
    TRAIN_PRESET,
    BenchView,
    bench_view,
    quick_values,
    save_once,
    tui_run,
)
from sovtui.bench.metrics import JobSeries, MetricRecord, MetricsParser
from sovtui.bench.results import BenchRun
from sovtui.presets.argv import ParamError
from sovtui.presets.launch import launch, launch_info
from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.jobs import JobsApi
from sovtui.ray_api.logs import LogTail
from sovtui.ray_api.models import JobDetails
from sovtui.tui.messages import RefreshDashboard
from sovtui.tui.screens.bench_pick import PickBenchJob, bench_jobs
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.bench_plot import BenchPlot, PlotData
from sovtui.tui.widgets.bench_tables import PhaseBars, ResultsTable
from sovtui.tui.widgets.jobs_table import STATUS_STYLES
from sovtui.tui.widgets.plain import plain

RATE_SCALE = {"keys_per_s": (1e6, "Mkeys/s"), "samples_per_s": (1e3, "k samples/s")}


@dataclass
class MetricsBatch(Message):
    """New records from the followed job's log (possibly none: the counters moved)."""

    job_id: str
    records: list[MetricRecord]
    lines: int  # the parser's counters so far
    malformed: int


@dataclass
class JobStatus(Message):
    details: JobDetails
    log_ended: bool = False


@dataclass
class FollowJob(Message):
    job_id: str


@dataclass
class ResultsSaved(Message):
    job_id: str


def status_line(
    job_id: str | None,
    details: JobDetails | None,
    view: BenchView,
    saved: bool,
    launching: str | None,
) -> Text:
    if job_id is None:
        if launching:
            return Text(f"launching {launching} ...", style="bold")
        return Text.assemble(
            ("No benchmark watched.", "bold"), "  s: sort   t: train   w: watch a running job"
        )
    status = details.status if details else "..."
    parts: list[Text] = [plain(job_id, "bold")]
    # sovtui's submission ids name the preset; another job's do not
    preset = launch_info(details.metadata if details else None).preset
    if preset and preset not in job_id:
        parts.insert(0, plain(preset, "bold"))
    parts.append(plain(status, STATUS_STYLES.get(status, "bold")))
    parts.append(Text(f"{view.records} records"))
    parts.append(
        Text(f"{view.malformed} unparsable", style="bold red" if view.malformed else "dim")
    )
    if view.verified is False:
        parts.append(Text("OUTPUT WRONG", style="bold red"))
    if saved:
        parts.append(Text("saved", style="green"))
    if view.keys is not None:
        parts.append(Text(f"{view.keys:,} keys"))
    if view.machine:
        parts.append(Text(view.machine, style="dim"))
    return Text("  ").join(parts)


def scaled(lines: dict[str, list[tuple[float, float]]], scale: float) -> dict[str, list]:
    return {label: [(x, y / scale) for x, y in points] for label, points in lines.items()}


class BenchScreen(Screen[None]):
    CSS_PATH = "bench.tcss"  # this screen's styles load with it, not at start-up
    BINDINGS = [
        Binding("s", "run_sort", "Sort bench", tooltip="Launch sort-bench with small sizes"),
        Binding("t", "run_train", "Train bench", tooltip="Launch train-bench with small sizes"),
        Binding("w", "pick_job", "Watch job", tooltip="Follow a running sort or train job"),
        Binding("c", "clear", "Clear", tooltip="Stop watching and clear the plots"),
    ]

    # job id -> everything that job reported so far
    series: reactive[dict[str, JobSeries]] = reactive(
        dict, always_update=True, init=False, repaint=False
    )
    watched: reactive[str | None] = reactive(None, init=False, repaint=False)

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.details: dict[str, JobDetails] = {}
        self.log_ended: set[str] = set()
        self.saved: set[str] = set()
        self.launching: str | None = None

    @property
    def view(self) -> BenchView:
        job = self.series.get(self.watched or "")
        return bench_view(job) if job is not None else BenchView()

    def compose(self) -> ComposeResult:
        ascii_only = self.services.ascii_only
        yield Header(show_clock=False, icon="◆")
        yield Static(id="bench-status")
        with Grid(id="bench-grid"):
            yield BenchPlot("Throughput", ascii_only=ascii_only, id="bench-throughput")
            yield BenchPlot("Loss and accuracy", ascii_only=ascii_only, id="bench-curves")
            yield BenchPlot("Scaling: time vs workers", ascii_only=ascii_only, id="bench-scaling")
            yield PhaseBars(ascii_only=ascii_only, id="bench-phases")
            yield ResultsTable(id="bench-results")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self._show()

    # -- launching ----------------------------------------------------------------------------

    def action_run_sort(self) -> None:
        self._launch(SORT_PRESET)

    def action_run_train(self) -> None:
        self._launch(TRAIN_PRESET)

    @work(exclusive=True, group="bench-launch", exit_on_error=False)
    async def _launch(self, name: str) -> None:
        self.launching = name
        self._show_status()
        try:
            presets = await asyncio.to_thread(self.services.preset_source)
            preset = presets.get(name)
            if preset is None:
                self.notify(f"no preset named {name!r}", severity="error")
                return
            snapshot = self.services.feed.latest
            cpu = snapshot.totals.get("CPU") if snapshot is not None else None
            cpus = int(cpu.total) if cpu is not None and cpu.total else 2
            launched = await launch(
                self.services.connection.client, preset, quick_values(name, cpus)
            )
        except (DashboardError, ParamError) as error:
            self.notify(f"{name}: {error}", severity="error", timeout=10)
            return
        finally:
            self.launching = None
            self._show_status()
        self.notify(f"launched {launched.submission_id}")
        self.app.post_message(RefreshDashboard())
        self.post_message(FollowJob(launched.submission_id))

    # -- watching -----------------------------------------------------------------------------

    def action_pick_job(self) -> None:
        snapshot = self.services.feed.latest
        jobs = bench_jobs(snapshot.jobs if snapshot is not None else [])
        if not jobs:
            self.notify("no sort or train job on the cluster (s or t starts one)", timeout=5)
            return
        self.app.push_screen(PickBenchJob(jobs), self._picked)

    def _picked(self, job_id: str | None) -> None:
        if job_id:
            self.follow_job(job_id)

    @on(FollowJob)
    def _follow_job(self, message: FollowJob) -> None:
        self.follow_job(message.job_id)

    def follow_job(self, job_id: str) -> None:
        """Show this job (from its first metric line) and follow its log until it ends."""
        self.log_ended.discard(job_id)
        self.series = {**self.series, job_id: JobSeries()}
        self.watched = job_id
        self._tail_log(job_id)

    @work(exclusive=True, group="bench-tail", exit_on_error=False)
    async def _tail_log(self, job_id: str) -> None:
        client = self.services.connection.client
        jobs = JobsApi(client)
        parser = MetricsParser()

        def take(lines: list[str]) -> None:
            records = parser.feed("".join(line + "\n" for line in lines))
            self.post_message(MetricsBatch(job_id, records, parser.lines, parser.malformed))

        try:
            details = await jobs.job(job_id)
            self.post_message(JobStatus(details))
            if details.is_terminal:
                take((await jobs.logs(job_id)).split("\n"))
            else:
                await LogTail(client, job_id).follow(take)
            records = parser.finish()
            self.post_message(MetricsBatch(job_id, records, parser.lines, parser.malformed))
            self.post_message(JobStatus(await jobs.job(job_id), log_ended=True))
        except DashboardError as error:
            self.notify(f"{job_id}: {error}", severity="error", timeout=10)

    @on(MetricsBatch)
    def _metrics(self, message: MetricsBatch) -> None:
        job = self.series.get(message.job_id)
        if job is None:
            return  # cleared meanwhile
        job.records.extend(message.records)
        job.parser.lines, job.parser.malformed = message.lines, message.malformed
        job.parser.records = len(job.records)
        self.mutate_reactive(BenchScreen.series)

    @on(JobStatus)
    def _job_status(self, message: JobStatus) -> None:
        job_id = message.details.display_id
        self.details[job_id] = message.details
        if message.log_ended:
            self.log_ended.add(job_id)
            self._save(job_id)
        if job_id == self.watched:
            self._show_status()

    # -- saving -------------------------------------------------------------------------------

    def _save(self, job_id: str) -> None:
        details = self.details.get(job_id)
        job = self.series.get(job_id)
        if details is None or job is None or details.status != "SUCCEEDED":
            return
        info = launch_info(details.metadata)
        workload = BENCH_PRESETS.get(info.preset or "") or (
            job.records[0].workload if job.records else None
        )
        if workload is None or not any(r.phase == "result" for r in job.records):
            return
        run = tui_run(
            workload,
            info.params,
            job.records,
            job_id=job_id,
            address=self.services.connection.address,
            malformed=job.parser.malformed,
        )
        self._store(job_id, run)

    @work(thread=True, group="bench-save", exit_on_error=False)
    def _store(self, job_id: str, run: BenchRun) -> None:
        save_once(run)
        self.post_message(ResultsSaved(job_id))

    @on(ResultsSaved)
    def _results_saved(self, message: ResultsSaved) -> None:
        self.saved.add(message.job_id)
        if message.job_id == self.watched:
            self._show_status()

    # -- clearing -----------------------------------------------------------------------------

    def action_clear(self) -> None:
        self.workers.cancel_group(self, "bench-tail")
        self.watched = None
        self.series = {}

    # -- drawing ------------------------------------------------------------------------------

    def watch_series(self) -> None:
        self._show()

    def watch_watched(self) -> None:
        self._show()

    def _show_status(self) -> None:
        job_id = self.watched
        details = self.details.get(job_id or "")
        self.query_one("#bench-status", Static).update(
            status_line(job_id, details, self.view, job_id in self.saved, self.launching)
        )

    def _show(self) -> None:
        view = self.view
        self._show_status()
        scale, unit = RATE_SCALE.get(view.rate_key or "", (1.0, view.rate_unit))
        throughput = self.query_one("#bench-throughput", BenchPlot)
        throughput.border_title = plain(f"Throughput ({unit})")  # the unit comes from the job
        throughput.show(
            PlotData(scaled(view.throughput, scale), xlabel="seconds since start", ymin=0)
        )
        curves = self.query_one("#bench-curves", BenchPlot)
        training = view.workload == "train"
        curves.display = training
        self.query_one("#bench-phases", PhaseBars).display = not training
        curves.border_subtitle = plain(view.curve_label)
        curves.show(PlotData({"loss": view.loss, "accuracy": view.accuracy}, xlabel="step", ymin=0))
        counts = [float(row["workers"]) for row in view.scaling]
        lines = {
            "measured": [(float(r["workers"]), float(r["seconds"])) for r in view.scaling],
            "ideal T1/p": [(float(r["workers"]), float(r["ideal_s"])) for r in view.scaling],
            "Brent W/p+D": [
                (float(r["workers"]), float(r["brent_s"]))
                for r in view.scaling
                if r.get("brent_s") is not None
            ],
        }
        self.query_one("#bench-scaling", BenchPlot).show(
            PlotData(
                lines,
                xlabel="workers",
                xticks=counts,
                ymin=0,
                empty="no scaling study" if view.finished else "waiting for scaling runs",
            )
        )
        self.query_one("#bench-phases", PhaseBars).show(view)
        self.query_one("#bench-results", ResultsTable).show(view)
