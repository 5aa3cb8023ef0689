"""Retention across recordings: old clusters by age, and all of them under a size cap.

A recording another sovtui is writing is never touched here (its writer keeps itself within
the windows); a file that cannot be read is left alone (it may be a user's, or corrupt: the
writer moves those aside itself).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from sovtui.recorder import store
from sovtui.recorder.query import MINUTE_MS, describe
from sovtui.settings.model import HistorySettings


@dataclass
class PruneReport:
    removed: list[str] = field(default_factory=list)  # keys of whole recordings deleted
    trimmed: list[str] = field(default_factory=list)  # keys whose old points were dropped
    skipped: list[str] = field(default_factory=list)  # "key: why"
    bytes_before: int = 0
    bytes_after: int = 0

    def lines(self) -> list[str]:
        mib = 1024 * 1024
        lines = [f"removed {key} (past keep_clusters_days or over max_mb)" for key in self.removed]
        lines += [f"trimmed {key}" for key in self.trimmed]
        lines += [f"skipped {entry}" for entry in self.skipped]
        before, after = self.bytes_before / mib, self.bytes_after / mib
        lines.append(f"history: {before:.1f} MiB before, {after:.1f} MiB now")
        return lines


def total_size(directory: Path | None = None) -> int:
    return sum(store.size_on_disk(path) for path in store.recording_files(directory))


def _remove(path: Path) -> None:
    for part in store.files_of(path):
        with contextlib.suppress(FileNotFoundError):
            part.unlink()


def prune(
    settings: HistorySettings,
    directory: Path | None = None,
    now: float | None = None,
    dry_run: bool = False,
) -> PruneReport:
    """What `sovtui history prune` does (and the writer, for the size cap)."""
    from sovtui.recorder.writer import retain, rollup

    now = time.time() if now is None else now
    report = PruneReport(bytes_before=total_size(directory))
    cutoff = now - settings.keep_clusters_days * 86_400
    for path in store.recording_files(directory):
        info = describe(path)
        key = path.name.removesuffix(store.SUFFIX)
        if info is None:
            report.skipped.append(f"{key}: not a readable recording")
            continue
        if info.recording_pid:
            report.skipped.append(f"{key}: being recorded by sovtui pid {info.recording_pid}")
            continue
        if info.last_seen < cutoff:
            report.removed.append(key)
            if not dry_run:
                _remove(path)
            continue
        if dry_run:
            continue
        try:
            lock = store.WriterLock(path)
        except (store.HeldElsewhere, OSError) as error:
            report.skipped.append(f"{key}: {error}")
            continue
        try:
            connection = store.open_writer(path)
            try:
                before = store.size_on_disk(path)
                rollup(connection)
                retain(connection, settings, int(now * 1000))
                if store.size_on_disk(path) < before:
                    report.trimmed.append(key)
            finally:
                connection.close()
        except sqlite3.Error as error:
            report.skipped.append(f"{key}: {store.classify(error, path).message}")
        finally:
            lock.close()
    if not dry_run:
        enforce_cap(settings, directory, None, None, int(now * 1000), report)
    report.bytes_after = total_size(directory)
    return report


def enforce_cap(
    settings: HistorySettings,
    directory: Path | None,
    own: sqlite3.Connection | None,
    own_path: Path | None,
    now_ms: int,
    report: PruneReport | None = None,
) -> None:
    """Keep every recording together under max_mb: the least recently seen ended clusters go
    first; if the one being written is still too big alone, its oldest minutes go.
    """
    cap = settings.max_mb * 1024 * 1024
    if total_size(directory) <= cap:
        return
    candidates = []
    for path in store.recording_files(directory):
        if path == own_path:
            continue
        info = describe(path)
        if info is not None and not info.recording_pid:
            candidates.append(info)
    for info in sorted(candidates, key=lambda c: c.last_seen):
        if total_size(directory) <= cap:
            return
        _remove(info.path)
        if report is not None:
            report.removed.append(info.key)
    if own is None or own_path is None:
        return
    for _ in range(8):  # drop the oldest quarter of the kept minutes until under the cap
        if store.size_on_disk(own_path) <= cap:
            return
        oldest = own.execute("SELECT min(m) FROM cluster_minute").fetchone()[0]
        if oldest is None:
            return
        newest = now_ms // MINUTE_MS
        cut = oldest + max(1, (newest - oldest) // 4)
        for table in ("node_minute", "cluster_minute", "gpu_minute"):
            own.execute(f"DELETE FROM {table} WHERE m < ?", (cut,))
        own.execute("PRAGMA incremental_vacuum")
        own.execute("PRAGMA wal_checkpoint(TRUNCATE)")
