"""The jobs table: id, status, entrypoint, start, duration, message; newest first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.binding import Binding

from sovtui.support.formatting import job_duration, job_start, truncate
from sovtui.tui.widgets.node_table import LiveTable, replace_rows
from sovtui.tui.widgets.plain import plain

if TYPE_CHECKING:
    from sovtui.ray_api.models import JobDetails

COLUMNS = ("Job", "Status", "Entrypoint", "Start", "Duration", "Message")
STATUS_STYLES = {
    "SUCCEEDED": "green",
    "FAILED": "bold red",
    "STOPPED": "yellow",
    "RUNNING": "bold cyan",
    "PENDING": "magenta",
}


def job_row(job: JobDetails, now: float) -> tuple[object, ...]:
    # Strings here are shown literally by replace_rows (see widgets.plain.cell).
    return (
        truncate(job.display_id, 36),
        plain(job.status, STATUS_STYLES.get(job.status, "")),
        truncate(job.entrypoint, 40),
        job_start(job.start_time),
        job_duration(job.start_time, job.end_time, now),
        truncate(job.message, 60),
    )


class JobsTable(LiveTable):
    BORDER_TITLE = "Jobs"
    BINDINGS = [
        Binding("enter", "select_cursor", "Open job", tooltip="Status, live log, stop and delete")
    ]

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
        self.show_title(f"Jobs ({running} running / {len(jobs)})")

    def cursor_key(self) -> str | None:
        if not self.row_count or not 0 <= self.cursor_row < self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def select_key(self, key: str) -> bool:
        if key not in self.shown_rows:
            return False
        self.move_cursor(row=list(self.shown_rows).index(key), animate=False)
        return True
