"""Messages that carry poll results up to the App."""

from __future__ import annotations

from textual.message import Message

from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.snapshot import ClusterSnapshot


class SnapshotReady(Message):
    """A fresh snapshot; a newer one makes an unprocessed older one pointless."""

    def __init__(self, snapshot: ClusterSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class PollFailed(Message):
    def __init__(self, error: DashboardError) -> None:
        super().__init__()
        self.error = error

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PollFailed)
