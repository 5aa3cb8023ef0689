"""The jobs table: id, status, entrypoint, start, duration, message; newest first."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from sovtui.format import job_duration, job_start, truncate
from sovtui.ray_api.models import JobDetails
from sovtui.widgets.node_table import LiveTable, replace_rows

COLUMNS = ("Job", "Status", "Entrypoint", "Start", "Duration", "Message")
STATUS_STYLES = {
    "SUCCEEDED": "green",
    "FAILED": "bold red",
    "STOPPED": "yellow",
    "RUNNING": "bold cyan",
    "PENDING": "magenta",
}


def job_row(job: JobDetails, now: float) -> tuple[str | Text, ...]:
    return (
        truncate(job.display_id, 36),
        Text(job.status, style=STATUS_STYLES.get(job.status, "")),
        truncate(job.entrypoint, 40),
        job_start(job.start_time),
        job_duration(job.start_time, job.end_time, now),
        truncate(job.message, 60),
    )


class JobsTable(LiveTable):
    BORDER_TITLE = "Jobs"

    def __init__(self, clock: Callable[[], float], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._clock = clock

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for column in COLUMNS:
            self.add_column(column, key=column)

    def show_jobs(self, jobs: tuple[JobDetails, ...]) -> None:
        now = self._clock()
        rows = [(job.display_id, job_row(job, now)) for job in jobs]
        replace_rows(self, rows)
        running = sum(1 for job in jobs if job.status == "RUNNING")
        self.border_title = f"Jobs ({running} running / {len(jobs)})"
