"""The plots' past from the flight recorder: what the last sovtui recorded at this address.

Called in a thread (SQLite reads): the dashboard's first frame never waits for it. Each point is
a bucket's maximum, so a one-poll spike stays visible at any zoom.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sovtui.recorder import query, store
from sovtui.recorder.identity import Target
from sovtui.recorder.query import Bucket, Recording

AbsPoints = list[tuple[float, float]]  # (unix seconds, value)

WINDOWS_S = (300.0, 3600.0, 6 * 3600.0, 86400.0, 7 * 86400.0)  # what `z` steps through


def next_window(current: float) -> float:
    """The next larger zoom after `current`, wrapping to the smallest."""
    larger = [w for w in WINDOWS_S if w > current + 1e-6]
    return larger[0] if larger else WINDOWS_S[0]


def find_recording(
    target: Target, session_name: str | None, directory: Path | None = None
) -> Path | None:
    """This session's recording if there is one, else the latest recorded at this target."""
    if session_name:
        path = store.db_path(target.key(session_name), directory)
        if path.exists():
            return path
    for info in query.list_clusters(directory):  # the most recently seen first
        if (info.address, info.mode, info.project) == (
            target.address,
            target.mode,
            target.project,
        ):
            return info.path
    return None


def _ratio(used: Iterable[Bucket], total: Iterable[Bucket]) -> AbsPoints:
    totals = {b.t: b.mean for b in total}
    return [
        (b.t, min(100.0, b.max / totals[b.t] * 100))
        for b in used
        if totals.get(b.t)  # neither missing nor zero
    ]


def recording_points(
    recording: Recording, since: float, until: float | None = None, buckets: int = 240
) -> dict[str, AbsPoints]:
    """The dashboard plots' series (History.Sample attributes), one max per bucket."""

    def series(metric: str) -> list[Bucket]:
        return recording.series(metric, since=since, until=until, buckets=buckets)

    return {
        "cpu_logical_pct": _ratio(series("cpu_used"), series("cpu_total")),
        "cpu_physical_pct": [(b.t, b.max) for b in series("cpu_pct")],
        "object_store_pct": _ratio(series("obj_used"), series("obj_total")),
    }


def load_recorded(
    target: Target,
    session_name: str | None,
    since: float,
    *,
    directory: Path | None = None,
    buckets: int = 240,
) -> dict[str, AbsPoints]:
    """The recorded points from `since` on; {} with no recording (or one that cannot be read)."""
    path = find_recording(target, session_name, directory)
    if path is None:
        return {}
    try:
        with query.opened(path) as recording:
            return recording_points(recording, since, buckets=buckets)
    except (LookupError, OSError, query.sqlite3.Error):
        return {}


def job_efficiency(
    target: Target,
    session_name: str | None,
    job_key: str,
    now: float,
    *,
    directory: Path | None = None,
) -> str | None:
    """The job's efficiency note: the one recorded when it ended, else computed now (a running
    job: over its life so far). None without a recording of it."""
    path = find_recording(target, session_name, directory)
    if path is None:
        return None
    try:
        with query.opened(path) as recording:
            row = recording.connection.execute(
                "SELECT key, note FROM jobs WHERE key = ? OR job_id = ? OR submission_id = ?",
                (job_key, job_key, job_key),
            ).fetchone()
            if row is None:
                return None
            if row["note"]:
                return str(row["note"])
            return query.job_note(recording.connection, row["key"], now)
    except (LookupError, OSError, query.sqlite3.Error):
        return None


# One node over time: the node detail view's plots --------------------------------------------

PlotLines = dict[str, list[tuple[float, float]]]  # label -> (seconds before now, value)


def node_plots(
    target: Target,
    session_name: str | None,
    node_id: str,
    now: float,
    window_s: float,
    *,
    directory: Path | None = None,
    buckets: int = 120,
) -> dict[str, PlotLines]:
    """Plot title -> lines for one node over `window_s` (bucket maxima): CPU, memory, object
    store and disk as % of the node's totals, network and disk I/O in MB/s, each GPU's
    utilisation. {} without a recording of the node."""
    path = find_recording(target, session_name, directory)
    if path is None:
        return {}
    since = now - window_s
    try:
        with query.opened(path) as recording:
            node = recording.connection.execute(
                "SELECT * FROM nodes WHERE node_id = ?", (node_id,)
            ).fetchone()
            if node is None:
                return {}

            def line(metric: str, scale: float = 1.0, gpu: int | None = None) -> AbsPoints:
                series = recording.series(
                    metric, since=since, node=node_id, gpu=gpu, buckets=buckets
                )
                return [(b.t - now, b.max * scale) for b in series]

            def share(metric: str, total: float | None) -> AbsPoints:
                return line(metric, 100.0 / total) if total else []

            mb = 1 / 1_000_000
            plots: dict[str, PlotLines] = {
                "CPU %": {"CPU": line("cpu")},
                "Memory %": {
                    "memory": share("mem", node["mem_total"]),
                    "object store": share("obj", node["obj_total"]),
                    "disk": share("disk", node["disk_total"]),
                },
                "Network and disk MB/s": {
                    "net sent": line("net_sent", mb),
                    "net recv": line("net_recv", mb),
                    "disk read": line("disk_read", mb),
                    "disk write": line("disk_write", mb),
                },
            }
            gpus = [
                row[0]
                for row in recording.connection.execute(
                    "SELECT DISTINCT idx FROM gpu_raw WHERE node = ? UNION "
                    "SELECT DISTINCT idx FROM gpu_minute WHERE node = ? ORDER BY 1",
                    (node["id"], node["id"]),
                )
            ]
            if gpus:
                plots["GPU utilisation %"] = {f"GPU {i}": line("util", gpu=i) for i in gpus}
            return plots
    except (LookupError, OSError, query.sqlite3.Error):
        return {}
