"""Cluster totals (CPU, GPU, memory, object store) as labelled bars: used / total."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from sovtui.ray_api.snapshot import TOTAL_RESOURCES, Usage
from sovtui.support.formatting import human_amount

_LABELS = {"CPU": "CPU", "GPU": "GPU", "memory": "Memory", "object_store_memory": "Obj store"}


class ResourceBars(Widget):
    """One line per resource. Unknown use (autoscaler v2) shows as `?` with an empty bar."""

    # No layout=True: a relayout repaints the whole screen, and this changes every poll.
    totals: reactive[dict[str, Usage]] = reactive(dict)
    ascii_only: reactive[bool] = reactive(False)

    def watch_totals(self, old: dict[str, Usage], new: dict[str, Usage]) -> None:
        if len(old) != len(new):  # one line per resource: only a new resource changes height
            self.refresh(layout=True)

    def render(self) -> Text:
        if not self.totals:
            return Text("waiting for the first snapshot…", style="dim")
        width = max(10, self.content_size.width)
        text = Text(no_wrap=True, overflow="ellipsis")
        names = [name for name in TOTAL_RESOURCES if name in self.totals]
        for index, name in enumerate(names):
            usage = self.totals[name]
            used = human_amount(name, usage.used, short=True)
            numbers = f"{used}/{human_amount(name, usage.total, short=True)}"
            bar_width = max(4, width - 10 - len(numbers) - 2)
            fraction = usage.fraction
            filled = round(bar_width * fraction) if fraction is not None else 0
            full, empty = ("#", ".") if self.ascii_only else ("█", "░")
            style = _bar_style(fraction)
            text.append(f"{_LABELS[name]:<10}", style="bold")
            text.append(full * filled, style=style)
            text.append(empty * (bar_width - filled), style="dim")
            text.append(f" {numbers}")
            if index < len(names) - 1:
                text.append("\n")
        return text

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return max(1, len(self.totals))


def _bar_style(fraction: float | None) -> str:
    if fraction is None:
        return "dim"
    if fraction >= 0.9:
        return "bold red"
    if fraction >= 0.7:
        return "yellow"
    return "green"
