"""The App's messages: what the polling model publishes, and what screens ask the App to do.

Screens never call the App: they post one of the requests below to it (`self.app.post_message`,
which outlives a screen that dismisses itself) and the App answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from sovtui.cluster.contexts import Context
from sovtui.monitor.link_state import LinkState
from sovtui.ray_api.snapshot import ClusterSnapshot

# -- published by the dashboard's polling model ------------------------------------------------


@dataclass
class SnapshotReady(Message):
    """A fresh snapshot; a newer one makes an unprocessed older one pointless."""

    snapshot: ClusterSnapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


@dataclass
class LinkChanged(Message):
    link: LinkState

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LinkChanged)


# -- requests from screens ------------------------------------------------------------------


@dataclass
class RefreshDashboard(Message):
    """Poll the watched cluster now (a job was launched, stopped or deleted)."""


@dataclass
class ShowNewJob(Message):
    """After a launch: the dashboard, polled now, with the new job selected once it shows."""

    submission_id: str


@dataclass
class ShowComposeCluster(Message):
    """Point the dashboard at a Compose cluster sovtui just brought up."""

    project: str
    address: str
    token: str


@dataclass
class ComposeClusterRemoved(Message):
    """After `down`: back to what was watched before, else keep the (now dead) address."""

    project: str


@dataclass
class SwitchContext(Message):
    """Watch another context: the whole app (dashboard, header) follows; a context with `via`
    gets its tunnel opened, and the previous context's tunnel is closed."""

    context: Context


@dataclass
class KillActor(Message):
    """Kill one actor, after a confirmation; refused in read-only mode. Any screen that shows
    actors posts this (k): the App confirms, runs the kill in a worker and says how it ended."""

    actor_id: str
    label: str = ""  # how the confirmation names it, e.g. "Counter sovtui-counter"


@dataclass
class ShowNodeLogs(Message):
    """Open a node's log files (enter on a node)."""

    node_id: str
