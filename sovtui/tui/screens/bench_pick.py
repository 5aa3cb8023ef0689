"""`w` on the Bench screen: pick a sort or train job to watch (the newest running one first)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sovtui.bench.live import BENCH_PRESETS
from sovtui.presets.launch import launch_info
from sovtui.ray_api.models import JobDetails
from sovtui.tui.widgets.jobs_table import STATUS_STYLES
from sovtui.tui.widgets.plain import plain


def bench_jobs(jobs: Iterable[JobDetails]) -> list[JobDetails]:
    """Jobs launched from the sort/train presets: running ones first, newest first in each."""
    found = [j for j in jobs if launch_info(j.metadata).preset in BENCH_PRESETS]
    return sorted(found, key=lambda j: (j.is_terminal, -(j.start_time or 0)))


def job_prompt(job: JobDetails) -> Text:
    preset = launch_info(job.metadata).preset or ""
    return Text.assemble(
        plain(f"{job.status:<9}", STATUS_STYLES.get(job.status, "bold")),
        " ",
        plain(preset, "bold"),
        "  ",
        plain(job.display_id, "dim"),
    )


class PickBenchJob(ModalScreen[str | None]):
    CSS_PATH = "bench.tcss"  # this screen's styles load with it, not at start-up
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, jobs: list[JobDetails]) -> None:
        super().__init__()
        self.jobs = jobs

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box", classes="modal-box"):
            yield Static("[b]Watch a benchmark job[/b]")
            yield OptionList(
                *(Option(job_prompt(job), id=job.display_id) for job in self.jobs), id="pick-list"
            )
            yield Static("enter: watch   escape: cancel", classes="modal-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.jobs:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
