"""A one-line banner under the header: hidden while healthy, loud while not, and a quiet note
while answers are so slow that polling waits longer than the interval."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.widgets import Static

from sovtui.monitor.link_state import LinkState
from sovtui.tui.widgets.plain import plain


class ConnectionBanner(Static):
    def __init__(self, monotonic: Callable[[], float] = time.monotonic, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._monotonic = monotonic  # the clock retry times are on (tests freeze it)

    def on_mount(self) -> None:
        self._link = LinkState("connecting")
        # The countdown needs a tick only while failing; the timer is cheap and paused otherwise.
        self._ticker = self.set_interval(1.0, self._redraw, pause=True)
        self.show_link(self._link)

    def show_link(self, link: LinkState) -> None:
        self._link = link
        failing = not link.healthy and link.state != "connecting"
        self.set_class(failing, "-failing")
        self.set_class(link.state == "connecting", "-connecting")
        self.set_class(link.slow, "-slow")
        self.display = not link.healthy or link.slow
        if failing:
            self._ticker.resume()
        else:
            self._ticker.pause()
        self._redraw()

    def _redraw(self) -> None:
        if self._link.slow:
            self.update(self._link.describe(self._monotonic()))
        elif self._link.state == "connecting":
            self.update("connecting…")
        else:
            # The reason can quote a server's error body: shown literally, never as markup.
            self.update(plain(self._link.describe(self._monotonic())))
