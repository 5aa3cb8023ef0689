"""Everything the App and its screens get from outside, in one typed object, built by the one
factory the CLI and the tests share (`build_services`, or `make_app` in app.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, Unpack

from sovtui.cluster.compose.events import DEFAULT_PROJECT
from sovtui.cluster.connect import Connection
from sovtui.cluster.contexts import Context, ContextList, Health
from sovtui.cluster.driver_api import ClusterDriverFactory, open_compose_driver
from sovtui.monitor.clock import Clock, Sleep
from sovtui.monitor.cluster_feed import ClusterFeed
from sovtui.settings.model import Settings
from sovtui.tui.themes import ThemeLoad, load_themes

if TYPE_CHECKING:
    from sovtui.cluster.slurm.queue import SlurmJob
    from sovtui.monitor.replay import Replay
    from sovtui.presets.loader import LoadResult

PresetSource = Callable[[], "LoadResult"]  # blocking file I/O: called from a thread worker
# The Clusters screen's sources; the first two block (threads inside, bounded): called from a
# thread worker. SlurmJobs is squeue, async with its own timeout.
ContextSource = Callable[[Settings], ContextList]
ContextProbe = Callable[[list[Context], Settings], dict[str, Health]]
SlurmJobs = Callable[[], Awaitable[list["SlurmJob"]]]


def load_shipped_and_user_presets() -> LoadResult:
    from sovtui.presets.loader import load_presets  # with the Presets screen, not at start-up

    return load_presets()


def every_context(settings: Settings) -> ContextList:
    from sovtui.cluster.contexts import list_contexts

    return list_contexts(settings)


def probe_every_context(contexts: list[Context], settings: Settings) -> dict[str, Health]:
    from sovtui.cluster.contexts import probe_contexts

    return probe_contexts(contexts, settings)


async def my_slurm_jobs() -> list[SlurmJob]:
    from sovtui.cluster.slurm.queue import list_jobs  # with the Clusters screen only

    return await list_jobs()


@dataclass(frozen=True)
class Services:
    connection: Connection  # the dashboard client; retargeted when a Compose cluster comes up
    settings: Settings
    feed: ClusterFeed  # the watched cluster's polling model: latest snapshot, history, link
    clock: Clock
    # Builds the Docker driver for a project on demand (None: Compose features are off).
    cluster_driver: ClusterDriverFactory | None
    compose_project: str  # the project the Cluster screen manages
    preset_source: PresetSource
    themes: ThemeLoad
    ascii_only: bool = False
    poll: bool = True  # False: no polling at all (benchmarks of one screen)
    contexts: ContextSource = every_context
    probe: ContextProbe = probe_every_context
    slurm_jobs: SlurmJobs = my_slurm_jobs
    # A recording played back (`sovtui --replay`): no cluster, no polling, read-only.
    replay: Replay | None = None


class ServiceOptions(TypedDict, total=False):
    """build_services' keyword arguments, for `make_app(connection, settings, **options)`."""

    themes: ThemeLoad | None
    cluster_driver: ClusterDriverFactory | None
    compose_project: str | None
    clock: Callable[[], float]
    monotonic: Callable[[], float]
    sleep: Sleep
    ascii_only: bool
    poll: bool
    preset_source: PresetSource
    contexts: ContextSource
    probe: ContextProbe
    slurm_jobs: SlurmJobs


def build_services(
    connection: Connection,
    settings: Settings,
    *,
    themes: ThemeLoad | None = None,
    cluster_driver: ClusterDriverFactory | None = open_compose_driver,
    compose_project: str | None = None,
    clock: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    ascii_only: bool = False,
    poll: bool = True,
    preset_source: PresetSource = load_shipped_and_user_presets,
    contexts: ContextSource = every_context,
    probe: ContextProbe = probe_every_context,
    slurm_jobs: SlurmJobs = my_slurm_jobs,
) -> Services:
    clocks = Clock(now=clock, monotonic=monotonic, sleep=sleep)
    return Services(
        connection=connection,
        settings=settings,
        feed=ClusterFeed(connection.client.snapshot, settings, clocks),
        clock=clocks,
        cluster_driver=cluster_driver,
        # The one watched, else the one asked for, else sovtui's default.
        compose_project=connection.project or compose_project or DEFAULT_PROJECT,
        preset_source=preset_source,
        themes=themes if themes is not None else load_themes(),
        ascii_only=ascii_only,
        poll=poll,
        contexts=contexts,
        probe=probe,
        slurm_jobs=slurm_jobs,
    )


def build_replay_services(
    replay: Replay, settings: Settings, **options: Unpack[ServiceOptions]
) -> Services:
    """Services over a recording: read-only, no poller, no Compose, a client that sends
    nothing, and a clock stopped at the recording's last poll (unless `clock` is given)."""
    from dataclasses import replace

    from sovtui.monitor.replay import ReplayFeed, replay_connection

    options.setdefault("clock", lambda: replay.last)
    options["poll"] = False
    options["cluster_driver"] = None
    settings = replace(settings, readonly=True)
    services = build_services(replay_connection(replay), settings, **options)
    return replace(services, feed=ReplayFeed(replay, settings, services.clock), replay=replay)
