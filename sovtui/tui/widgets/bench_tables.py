"""The Bench screen's phase breakdown (text bars) and results table."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import DataTable, Static

from sovtui.bench.live import BenchView, ResultRow
from sovtui.tui.widgets.plain import cell, plain


def human_rate(rate: float | None) -> str:
    if rate is None:
        return "-"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(rate) >= scale:
            return f"{rate / scale:.2f}{suffix}"
    return f"{rate:.0f}"


def seconds_text(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f}"


def phase_table(view: BenchView, width: int, ascii_only: bool) -> Table | Text:
    if not view.phases:
        message = "no timed phases yet" if view.workload != "train" else "no phases (training)"
        return Text(message, style="dim")
    total = sum(seconds for _, seconds in view.phases) or 1.0
    name_width = max(len(name) for name, _ in view.phases)
    bar_width = max(4, width - name_width - 18)
    block = "#" if ascii_only else "█"
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(justify="right", no_wrap=True)
    table.add_column(justify="right", no_wrap=True, style="dim")
    table.add_column(no_wrap=True)
    for name, seconds in view.phases:
        share = seconds / total
        bar = Text(block * max(1, round(share * bar_width)), style="bold")
        # A Rich table parses str cells as markup: the phase name comes from the job's output.
        table.add_row(plain(name), f"{seconds:.3f} s", f"{share:4.0%}", bar)
    table.add_row("total", f"{total:.3f} s", "", "")
    return table


class PhaseBars(Static):
    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="bench-panel")
        self._ascii_only = ascii_only
        self._view = BenchView()

    def on_mount(self) -> None:
        self.border_title = "Phases (s)"

    def show(self, view: BenchView) -> None:
        self._view = view
        self.border_subtitle = plain(view.phases_label)
        self.update(phase_table(view, self.content_region.width or 40, self._ascii_only))

    def on_resize(self) -> None:
        self.show(self._view)


class ResultsTable(DataTable[str]):
    """method | seconds | rate | rate / the baseline's rate; one row per `result` record."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="bench-panel", cursor_type="none", zebra_stripes=True)
        self._shown: tuple[object, ...] | None = None

    def on_mount(self) -> None:
        self.border_title = "Results"

    def show(self, view: BenchView) -> None:
        key = (tuple(view.results), view.rate_unit, view.baseline)
        if key == self._shown:
            return
        self._shown = key
        self.clear(columns=True)
        self.add_column("method", key="method")
        self.add_column("s", key="seconds")
        self.add_column("rate", key="rate")
        self.add_column("ratio", key="ratio")
        # Method names, units and the baseline come from the job's output: never markup.
        self.border_title = plain(
            f"Results (rate: {view.rate_unit})" if view.rate_key else "Results"
        )
        for row in view.results:
            self.add_row(*(cell(value) for value in result_cells(row)), key=row.method)
        if not view.results:
            self.border_subtitle = "waiting for results"
        elif (small := view.too_small) is not None:
            share = f"{small.overhead_share:.0%} " if small.overhead_share is not None else ""
            self.border_subtitle = f"too small: {share}overhead, use more keys"
        else:
            self.border_subtitle = plain(
                f"ratio: rate / {view.baseline}'s" if view.baseline else ""
            )

    def methods(self) -> list[str]:
        return [str(key.value) for key in self.rows]


def result_cells(row: ResultRow) -> tuple[str, str, str, str]:
    # the worker count matters for sovtui's rows; a baseline's is 1
    method = row.method if row.workers in (None, 1) else f"{row.method} x{row.workers}"
    ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
    if row.too_small:  # next to the ratio it would otherwise make look meaningful
        ratio += " too small"
    return method, seconds_text(row.seconds), human_rate(row.rate), ratio
