"""The plotext canvas inside a HistoryPlot pane: lines drawn from the in-process ring buffer
and, before it and beyond it, the flight recorder's buckets (History.set_recorded)."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from sovtui.monitor.history import History, Points


class HistoryCanvas(PlotextPlot):
    """Percent-of-capacity lines over a fixed time window; `series` picks what to draw.

    Drawing is the dashboard's main idle cost, so a poll that would not change a single
    braille dot (same points on the canvas's dot grid) does not redraw.
    """

    def __init__(
        self,
        series: dict[str, str],
        *,
        window_seconds: float,
        ascii_only: bool,
        history: History | None,
    ) -> None:
        super().__init__()
        self._series = series  # label -> Sample attribute
        self._window = window_seconds
        self._ascii_only = ascii_only
        self._history = history
        self._drawn: tuple[object, ...] | None = None

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot(force=True))
        self.replot(force=True)

    def on_resize(self) -> None:
        self.replot(force=True)

    def show(self, history: History) -> None:
        self._history = history
        self.replot()

    def set_window(self, window_seconds: float) -> None:
        self._window = window_seconds
        self.replot(force=True)

    def _dots(self) -> tuple[int, int]:
        """The braille dot grid: 2 dots across and 4 down per cell."""
        return max(1, self.size.width * 2), max(1, self.size.height * 4)

    def _series_points(self) -> dict[str, Points]:
        if self._history is None:
            return {label: [] for label in self._series}
        column_s = self._window / self._dots()[0]
        return {
            label: self._history.per_column(attribute, column_s, self._window)
            for label, attribute in self._series.items()
        }

    def _raster(self, points: dict[str, Points]) -> tuple[object, ...]:
        """The dot each point lands on."""
        columns, rows = self._dots()
        return tuple(
            (
                label,
                tuple(
                    (int((x / self._window + 1) * columns), int(y / 100 * rows)) for x, y in series
                ),
            )
            for label, series in points.items()
        )

    def replot(self, force: bool = False) -> None:
        points = self._series_points()
        raster = (self._raster(points), self.app.theme)
        if not force and raster == self._drawn:
            return
        self._drawn = raster
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.ylim(0, 100)
        plt.yticks([0, 100])  # only two rows of plot at 24 lines: more ticks would jitter
        plt.xlim(-self._window, 0)
        plt.xticks([])  # the span is in the border subtitle: tick labels jitter by a cell
        marker = "*" if self._ascii_only else "braille"
        plotted = False
        for label, series in points.items():
            if series:
                xs, ys = zip(*series, strict=True)
                plt.plot(list(xs), list(ys), label=label, marker=marker)
                plotted = True
        if not plotted:
            plt.title("no samples yet")
        self.refresh()
