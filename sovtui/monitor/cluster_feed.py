"""The watched cluster as the dashboard shows it: the latest snapshot, its history and the
link's health, kept fresh by a Poller over the dashboard client; each poll goes on to the
flight recorder (sovtui.recorder) when one is attached, which writes it on its own thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sovtui.monitor.clock import Clock
from sovtui.monitor.history import History
from sovtui.monitor.link_state import LinkState
from sovtui.monitor.poller import Fetch, Poller, describe_any
from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.snapshot import ClusterSnapshot
from sovtui.settings.model import Settings

if TYPE_CHECKING:  # sqlite3 and the writer load after the first frame
    from sovtui.recorder.recorder import Recorder
    from sovtui.recorder.writer import RecorderState


def describe_dashboard_error(error: Exception) -> tuple[str, str]:
    if isinstance(error, DashboardError):
        return error.state, str(error)
    return describe_any(error)  # a bug, not the network: shown as a state all the same


class ClusterFeed:
    def __init__(self, fetch: Fetch[ClusterSnapshot], settings: Settings, clock: Clock) -> None:
        self.history = History(settings.history_points)
        # The plots show the ring buffer's whole span at a fixed scale.
        self.window_seconds = settings.history_points * settings.interval
        self.recorder: Recorder | None = None
        self.poller: Poller[ClusterSnapshot] = Poller(
            fetch,
            settings.interval,
            max_backoff=settings.max_backoff,
            describe=describe_dashboard_error,
            clock=clock,
        )
        self.poller.subscribe(self.history.add)  # first: the history is current for listeners
        # Then the recorder: a queue put, the disk is the writer thread's business.
        self.poller.subscribe(self._record, self._record_link)

    # -- the flight recorder ------------------------------------------------------------------

    def record_with(self, recorder: Recorder | None) -> Recorder | None:
        """Hand every poll from now on to `recorder` (None: to none); returns the previous one,
        for the caller to close (`close` waits for its queue: off the UI thread)."""
        previous, self.recorder = self.recorder, recorder
        return previous if previous is not recorder else None

    @property
    def recorder_state(self) -> RecorderState | None:
        return self.recorder.state if self.recorder is not None else None

    def _record(self, snapshot: ClusterSnapshot) -> None:
        if self.recorder is not None:
            self.recorder.submit(snapshot)

    def _record_link(self, link: LinkState) -> None:
        if self.recorder is not None and link.state not in ("connected", "connecting"):
            self.recorder.submit_failure(f"{link.state}: {link.message}")

    # -----------------------------------------------------------------------------------------

    @property
    def latest(self) -> ClusterSnapshot | None:
        return self.poller.latest

    @property
    def link(self) -> LinkState:
        return self.poller.link

    def retargeted(self) -> None:
        """The client points at another cluster: the old one's history and health go."""
        self.history.clear()
        self.poller.restart()
