"""The watched cluster as the dashboard shows it: the latest snapshot, its history and the
link's health, kept fresh by a Poller over the dashboard client."""

from __future__ import annotations

from sovtui.monitor.clock import Clock
from sovtui.monitor.history import History
from sovtui.monitor.link_state import LinkState
from sovtui.monitor.poller import Fetch, Poller, describe_any
from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.snapshot import ClusterSnapshot
from sovtui.settings.model import Settings


def describe_dashboard_error(error: Exception) -> tuple[str, str]:
    if isinstance(error, DashboardError):
        return error.state, str(error)
    return describe_any(error)  # a bug, not the network: shown as a state all the same


class ClusterFeed:
    def __init__(self, fetch: Fetch[ClusterSnapshot], settings: Settings, clock: Clock) -> None:
        self.history = History(settings.history_points)
        # The plots show the ring buffer's whole span at a fixed scale.
        self.window_seconds = settings.history_points * settings.interval
        self.poller: Poller[ClusterSnapshot] = Poller(
            fetch,
            settings.interval,
            max_backoff=settings.max_backoff,
            describe=describe_dashboard_error,
            clock=clock,
        )
        self.poller.subscribe(self.history.add)  # first: the history is current for listeners

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
