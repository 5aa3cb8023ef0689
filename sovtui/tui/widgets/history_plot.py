"""A titled history pane; its plotext canvas is mounted once the app's first frame is shown.

textual-plotext takes ~40 ms to import and the plot has no samples before the first poll,
which itself waits for the first frame: so the pane paints empty, the module is imported in a
thread (the UI keeps drawing), then the canvas appears.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.widget import Widget

from sovtui.support.background_import import import_off_loop
from sovtui.support.formatting import human_duration

if TYPE_CHECKING:
    from sovtui.monitor.history import History
    from sovtui.tui.widgets.history_canvas import HistoryCanvas


class HistoryPlot(Widget):
    """Percent-of-capacity lines over a fixed time window; `series` picks what to draw."""

    def __init__(
        self,
        title: str,
        series: dict[str, str],
        *,
        window_seconds: float = 600.0,
        ascii_only: bool = False,
        until: str = "now",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._until = until  # what the window ends at: "now", or a replay's "last poll"
        self._title = title
        self._series = series  # label -> Sample attribute
        self._window = window_seconds
        self._ascii_only = ascii_only
        self._history: History | None = None
        self._canvas: HistoryCanvas | None = None

    def on_mount(self) -> None:
        self.border_title = self._title
        self.border_subtitle = f"last {human_duration(self._window)} → {self._until}"
        self.watch(self.app, "painted", self._mount_canvas)

    def _mount_canvas(self, painted: bool) -> None:
        if painted and self._canvas is None:
            self._build_canvas()

    @work(exclusive=True, group="canvas")
    async def _build_canvas(self) -> None:
        module = await import_off_loop("sovtui.tui.widgets.history_canvas")
        canvas_class: type[HistoryCanvas] = module.HistoryCanvas
        self._canvas = canvas_class(
            self._series,
            window_seconds=self._window,
            ascii_only=self._ascii_only,
            history=self._history,
        )
        await self.mount(self._canvas)

    @property
    def window_seconds(self) -> float:
        return self._window

    def set_window(self, window_seconds: float) -> None:
        """Zoom: the span shown in the border, the canvas redrawn at once."""
        self._window = window_seconds
        self.border_subtitle = f"last {human_duration(self._window)} → {self._until}"
        if self._canvas is not None:
            self._canvas.set_window(window_seconds)

    def show(self, history: History) -> None:
        self._history = history
        if self._canvas is not None:
            self._canvas.show(history)
