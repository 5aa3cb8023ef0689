"""Benchmark line plots (textual-plotext): labelled series, redrawn on new data and theme."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual_plotext import PlotextPlot

Points = list[tuple[float, float]]

ASCII_MARKERS = ("*", "+", "o", "x", "#", "@")


@dataclass(frozen=True)
class PlotData:
    """What one plot draws: named lines, axis labels, and what to say when there is nothing."""

    lines: dict[str, Points] = field(default_factory=dict)
    xlabel: str = ""
    empty: str = "waiting for metrics"
    xticks: list[float] | None = None  # e.g. the worker counts of a scaling study
    ymin: float | None = None


class BenchPlot(PlotextPlot):
    def __init__(self, title: str, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="bench-panel")
        self._title = title
        self._ascii_only = ascii_only
        self.data = PlotData()

    def on_mount(self) -> None:
        self.border_title = self._title
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())
        self.replot()

    def show(self, data: PlotData) -> None:
        if data != self.data:
            self.data = data
            self.replot()

    def replot(self) -> None:
        data = self.data
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plotted = False
        for index, (label, points) in enumerate(data.lines.items()):
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            marker = ASCII_MARKERS[index % len(ASCII_MARKERS)] if self._ascii_only else "hd"
            plt.plot(list(xs), list(ys), label=label, marker=marker)
            plotted = True
        if not plotted:
            plt.title(data.empty)
            plt.xticks([])
            plt.yticks([])
        else:
            if data.xlabel:
                plt.xlabel(data.xlabel)
            if data.xticks:
                plt.xticks(data.xticks, [f"{x:g}" for x in data.xticks])
            if data.ymin is not None:
                top = max(y for points in data.lines.values() for _, y in points)
                plt.ylim(data.ymin, top * 1.05 if top > data.ymin else data.ymin + 1)
        self.refresh()
