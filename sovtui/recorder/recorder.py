"""The dashboard's side of the recorder: hand it each snapshot, never wait for the disk.

    recorder = start_recording(settings, connection)   # once, after connecting
    recorder.submit(snapshot)                           # in the poll, after each success
    recorder.submit_failure(str(error))                 # in the poll, after a failure
    recorder.submit_job_log(job.submission_id, text)    # an ended job's log, if fetched
    recorder.submit_metrics(job_key, records)           # SOVTUI_METRIC records the Bench parsed
    recorder.state                                      # RecorderState: what the header shows
    recorder.close()                                    # on quit (flushes, bounded wait)

Every `submit*` returns at once: a writer thread owns the SQLite connection. If the disk is
slower than the polls, the queue (64 items) fills and further snapshots are dropped and counted
(`dropped`), never blocking the UI. The snapshot is the one the dashboard already fetched:
recording makes no request of its own.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sovtui.recorder.identity import Target
from sovtui.recorder.writer import OFF, RecorderState, RecordingCore
from sovtui.settings.model import HistorySettings, Settings

if TYPE_CHECKING:
    from sovtui.bench.metrics import MetricRecord
    from sovtui.ray_api.snapshot import ClusterSnapshot

QUEUE_SIZE = 64
# A snapshot is written this long after its poll at the earliest: the UI renders the same poll
# meanwhile, and a writer building thousands of node rows at that moment takes the GIL from it
# (5,000 nodes: a 23 ms table build became 47-70 ms). Nothing is lost, only written later.
SETTLE_S = 0.25
_STOP = object()


class Recorder:
    def __init__(
        self,
        target: Target,
        settings: HistorySettings | None = None,
        *,
        directory: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.core = RecordingCore(target, settings, directory=directory, clock=clock)
        self.dropped = 0
        self._queue: queue.Queue[Any] = queue.Queue(QUEUE_SIZE)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="sovtui-recorder", daemon=True)
        self._thread.start()

    @property
    def state(self) -> RecorderState:
        return self.core.state

    @property
    def path(self) -> Path | None:
        return self.core.path

    def _put(self, action: str, *args: Any) -> None:
        if self._closed:
            return
        try:
            self._queue.put_nowait((getattr(self.core, action), args, time.monotonic()))
        except queue.Full:
            self.dropped += 1

    def submit(self, snapshot: ClusterSnapshot) -> None:
        self._put("record", snapshot)

    def submit_failure(self, reason: str) -> None:
        self._put("record_failure", reason)

    def submit_job_log(self, job_key: str, text: str) -> None:
        self._put("record_job_log", job_key, text)

    def submit_metrics(self, job_key: str | None, records: Iterable[MetricRecord]) -> None:
        self._put("record_metrics", job_key, list(records))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is written (tests, `close`)."""
        done = threading.Event()
        try:
            self._queue.put((lambda: done.set(), (), 0.0), timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        if self._closed:
            return
        try:
            self._queue.put((self.core.close, (), 0.0), timeout=timeout)
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        self._closed = True
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            action, args, submitted = item
            wait = submitted + SETTLE_S - time.monotonic()
            if wait > 0 and not self._closed:
                time.sleep(wait)
            try:
                action(*args)
            except Exception as error:
                self.core.state = RecorderState(
                    "stopped", f"not recording (internal error): {error!r}", self.core.path
                )
                self.core.close()


class _NoRecorder(Recorder):
    """`history: record: false`: the same calls, nothing written."""

    def __init__(self) -> None:
        self.dropped = 0
        self._closed = True

    @property
    def state(self) -> RecorderState:
        return RecorderState(OFF, "recording is off (history.record: false)")

    @property
    def path(self) -> Path | None:
        return None

    def flush(self, timeout: float = 10.0) -> bool:
        return True

    def close(self, timeout: float = 5.0) -> None:
        return None


def start_recording(
    settings: Settings,
    connection: Any,
    *,
    directory: Path | None = None,
    clock: Callable[[], float] = time.time,
) -> Recorder:
    """The dashboard's hook: a Recorder for the cluster `connection` (cluster.connect) watches.

    Opening the file waits for the first snapshot (the cluster's session names it), on the
    writer thread. With `history.record: false` the returned recorder records nothing.
    """
    if not settings.history.record:
        return _NoRecorder()
    return Recorder(
        Target.of_connection(connection), settings.history, directory=directory, clock=clock
    )
