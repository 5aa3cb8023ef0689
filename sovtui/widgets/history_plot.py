"""History plots drawn with textual-plotext from the in-process ring buffer."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from sovtui.history import History, Sample


class HistoryPlot(PlotextPlot):
    """Percent-of-capacity lines over the last minutes; `series` picks what to draw."""

    def __init__(
        self,
        title: str,
        series: dict[str, str],
        *,
        ascii_only: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._title = title
        self._series = series  # label -> Sample attribute
        self._ascii_only = ascii_only
        self._history: History | None = None

    def on_mount(self) -> None:
        self.border_title = self._title
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())
        self.replot()

    def show(self, history: History) -> None:
        self._history = history
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.ylim(0, 100)
        plt.yticks([0, 50, 100])
        marker = "*" if self._ascii_only else "braille"
        samples: list[Sample] = self._history.samples() if self._history else []
        xs = self._history.seconds_ago() if self._history else []
        plotted = False
        for label, attribute in self._series.items():
            points = [
                (x, value)
                for x, sample in zip(xs, samples, strict=True)
                if (value := getattr(sample, attribute)) is not None
            ]
            if len(points) >= 1:
                plt.plot([p[0] for p in points], [p[1] for p in points], label=label, marker=marker)
                plotted = True
        if not plotted:
            plt.title("no samples yet")
        plt.xlabel("seconds ago")
        self.refresh()
