"""The flight recorder against real SQLite files: downsampling, retention, failures, two writers.

Time is an injected clock; polls are snapshots built from the recorded Ray 2.60 nodes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sovtui.cli import main
from sovtui.recorder import query, store
from sovtui.recorder.identity import Target
from sovtui.recorder.prune import prune
from sovtui.recorder.recorder import QUEUE_SIZE, SETTLE_S, Recorder, start_recording
from sovtui.recorder.schema import SCHEMA_VERSION
from sovtui.recorder.writer import (
    LOG_TAIL_BYTES,
    RECORDING,
    STOPPED,
    WARNING,
    RecordingCore,
    log_tail,
)
from sovtui.settings.model import HistorySettings, Settings
from sovtui.settings.sources import load_settings
from tests.support.recorder_data import SESSION, job, snapshot
from tests.support.tmpfs import small_tmpfs

T0 = 1_795_315_200.0  # a whole minute
TARGET = Target("http://127.0.0.1:8265", "attached")


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def core_at(directory: Path, clock: Clock, **settings: Any) -> RecordingCore:
    return RecordingCore(TARGET, HistorySettings(**settings), directory=directory, clock=clock)


def poll_for(
    core: RecordingCore, clock: Clock, seconds: float, step: float = 2.0, **kwargs: object
) -> None:
    end = clock.now + seconds
    while clock.now < end:
        core.record(snapshot(clock.now, **kwargs))  # type: ignore[arg-type]
        clock.now += step


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


# Downsampling and retention ---------------------------------------------------------------


def test_downsampling_keeps_the_min_and_max_of_a_one_poll_spike(tmp_path: Path) -> None:
    clock = Clock()
    core = core_at(tmp_path, clock, raw_minutes=5)
    poll_for(core, clock, 600, cpu=10.0)
    core.record(snapshot(clock.now, cpu=99.0))  # one poll's spike at 10 min
    clock.now += 2
    poll_for(core, clock, 3 * 3600, cpu=10.0)  # the raw poll of the spike is long gone
    core.maintain()
    path = core.path
    assert path is not None
    oldest_raw = rows(path, "SELECT min(t) FROM node_raw")[0][0]
    assert isinstance(oldest_raw, int) and oldest_raw > (T0 + 600) * 1000
    with query.opened(path) as recording:
        series = recording.series("cpu", node="00000000", since=T0, buckets=12)
        assert max(b.max for b in series) == pytest.approx(99.0)
        assert min(b.min for b in series) == pytest.approx(10.0)
        spike = [b for b in series if b.max > 50]
        assert len(spike) == 1 and spike[0].mean < 20  # averaged away, but its max kept
        cluster = recording.series("cpu_pct", since=T0, buckets=1)
        assert cluster[0].max == pytest.approx(99.0)


def test_a_series_joins_minutes_and_raw_polls_without_counting_twice(tmp_path: Path) -> None:
    clock = Clock()
    core = core_at(tmp_path, clock, raw_minutes=60)
    poll_for(core, clock, 1800, cpu=40.0)
    core.maintain()  # minutes rolled up, raw polls still there (within the hour)
    assert core.path is not None
    with query.opened(core.path) as recording:
        one = recording.series("nodes", since=T0, buckets=1)
        raw_only = recording.series("cpu_pct", since=T0 + 1000, buckets=1)
    assert one[0].mean == pytest.approx(1.0) and one[0].t == T0
    assert raw_only[0].mean == pytest.approx(40.0)
    polls = rows(core.path, "SELECT count(*) FROM cluster_raw")[0][0]
    minutes = rows(core.path, "SELECT sum(n) FROM cluster_minute")[0][0]
    assert polls == 900 and minutes == 900 - 30 + 0  # the minute still filling is not rolled


def test_a_young_recording_keeps_every_poll_of_its_rolled_minutes(tmp_path: Path) -> None:
    """A window reaching back before the first poll: nothing was pruned, so the minutes
    already rolled up still show poll by poll (a CI run once saw one minute bucket)."""
    clock = Clock(T0 + 30)
    core = core_at(tmp_path, clock, raw_minutes=60)
    poll_for(core, clock, 150, cpu=40.0)  # from mid-minute across two minute boundaries
    core.maintain()
    assert core.path is not None
    rolled = rows(core.path, "SELECT rolled_until FROM cluster")[0][0]
    assert rolled == (T0 + 120) * 1000
    with query.opened(core.path) as recording:
        series = recording.series("cpu_pct", since=clock.now - 600)
    before_rolled = [b for b in series if b.t * 1000 < rolled]
    assert len(before_rolled) >= 20 and all(b.mean == pytest.approx(40.0) for b in series)


def test_retention_prunes_what_it_should_and_nothing_else(tmp_path: Path) -> None:
    clock = Clock()
    core = core_at(tmp_path, clock, raw_minutes=10, keep_days=1)
    core.record(snapshot(clock.now, jobs=(job("old-job", "SUCCEEDED", T0 - 60, T0),)))
    poll_for(core, clock, 3600, step=20)
    clock.now = T0 + 86_400 + 1800  # a day and a half hour later: the first half hour is out
    poll_for(core, clock, 120, step=20)
    core.maintain()
    assert core.path is not None
    minutes = [m for (m,) in rows(core.path, "SELECT m FROM cluster_minute ORDER BY m")]
    cut = (clock.now - 86_400) // 60
    assert minutes and min(minutes) >= cut
    assert (T0 + 3540) // 60 in minutes  # the last minute of the first hour is still kept
    raw = [t for (t,) in rows(core.path, "SELECT t FROM cluster_raw")]
    assert raw and min(raw) >= (clock.now - 600) * 1000 - 60_000
    node_minutes = rows(core.path, "SELECT min(m) FROM node_minute")[0][0]
    assert node_minutes == min(minutes)
    # Job records and nodes are the cluster's record: kept with the cluster.
    assert rows(core.path, "SELECT key FROM jobs") == [("old-job",)]
    assert rows(core.path, "SELECT count(*) FROM nodes")[0][0] == 1


def test_prune_removes_old_clusters_and_keeps_recent_and_live_ones(tmp_path: Path) -> None:
    clock = Clock()
    for session, start in (("session_2026-01-01_00-00-00_1_1", T0 - 40 * 86400), (SESSION, T0)):
        clock.now = start
        core = core_at(tmp_path, clock)
        poll_for(core, clock, 60, session=session)
        core.close()
    live_clock = Clock(T0 - 50 * 86400)
    live = core_at(tmp_path, live_clock)
    poll_for(live, live_clock, 10, session="session_2025-12-01_00-00-00_1_1")
    report = prune(HistorySettings(keep_clusters_days=30), tmp_path, now=T0 + 60)
    left = {c.session_name for c in query.list_clusters(tmp_path)}
    assert left == {SESSION, "session_2025-12-01_00-00-00_1_1"}
    assert len(report.removed) == 1 and report.removed[0].startswith("20260101")
    assert any("being recorded" in line for line in report.skipped)
    live.close()


def test_the_size_cap_drops_the_oldest_ended_cluster_first(tmp_path: Path) -> None:
    clock = Clock()
    sessions = [f"session_2026-11-{day:02d}_00-00-00_1_1" for day in (1, 2, 3)]
    for index, session in enumerate(sessions):
        clock.now = T0 + index * 7200
        core = core_at(tmp_path, clock)
        poll_for(core, clock, 1200, nodes=100, session=session)
        core.close()
    sizes = {c.session_name: c.size_bytes for c in query.list_clusters(tmp_path)}
    assert min(sizes.values()) > 2**20
    cap = sizes[sessions[1]] + sizes[sessions[2]] + 2**19
    assert sum(sizes.values()) > cap
    prune(HistorySettings(max_mb=-(-cap // 2**20)), tmp_path, now=clock.now)
    left = [c.session_name for c in query.list_clusters(tmp_path)]
    assert sessions[0] not in left and sessions[2] in left


# Jobs, logs, metrics, notes -----------------------------------------------------------------


def test_job_transitions_log_tail_and_efficiency_note(tmp_path: Path) -> None:
    clock = Clock()
    core = core_at(tmp_path, clock)
    start = T0 + 4
    poll_for(core, clock, 4, cpu=38.0)
    for status in ("PENDING", "RUNNING"):
        core.record(
            snapshot(clock.now, cpu=38.0, jobs=(job("j1", status, start),), gpus=(0.0, 75.0))
        )
        clock.now += 2
    poll_for(core, clock, 120, cpu=38.0, obj_fraction=0.92, gpus=(0.0, 75.0),
             jobs=(job("j1", "RUNNING", start),), job_ids=frozenset({"02000000"}))  # fmt: skip
    end = clock.now
    core.record(snapshot(end, cpu=38.0, jobs=(job("j1", "FAILED", start, end),), gpus=(0.0, 0.0)))
    core.record_job_log("j1", "x" * 100 + "\n" + "line\n" * 20_000)
    from sovtui.bench.metrics import parse_line

    record = parse_line('SOVTUI_METRIC {"workload":"sort","phase":"merge","step":2,"rate":5.5}')
    assert record is not None
    core.record_metrics("j1", [record])
    assert core.path is not None
    with query.opened(core.path) as recording:
        (found,) = recording.jobs()
        assert [s for _, s, _ in found.events] == ["PENDING", "RUNNING", "FAILED"]
        assert found.events[0][0] == pytest.approx(start)
        assert found.error_type == "JOB_SUPERVISOR_ACTOR_DIED"
        assert found.duration_s == pytest.approx(end - start)
        assert found.note is not None
        assert found.note.startswith("CPU 38% of 2 cores over 2 min")
        assert "object store peaked at 92%" in found.note
        assert "GPUs: 1 of 2 idle throughout" in found.note
        assert found.log_tail is not None and len(found.log_tail.encode()) <= LOG_TAIL_BYTES
        assert found.log_tail.startswith("line\n")
        (metric,) = recording.metrics("j1")
        assert metric["measures"] == {"rate": 5.5} and metric["phase"] == "merge"


def test_log_tail_is_bounded_and_starts_at_a_line() -> None:
    text = "é" * 50_000 + "\n" + "end\n" * 30_000
    tail = log_tail(text)
    assert len(tail.encode()) <= LOG_TAIL_BYTES and tail.startswith("end\n")
    assert log_tail("short") == "short"


def test_a_new_session_at_the_same_address_is_a_new_recording(tmp_path: Path) -> None:
    clock = Clock()
    core = core_at(tmp_path, clock)
    poll_for(core, clock, 10)
    poll_for(core, clock, 10, session="session_2026-11-23_00-00-00_1_1")
    core.close()
    clusters = query.list_clusters(tmp_path)
    assert len(clusters) == 2
    old = next(c for c in clusters if c.session_name == SESSION)
    assert "new Ray session" in old.ended


def test_restart_appends_to_the_same_recording(tmp_path: Path) -> None:
    clock = Clock()
    first = core_at(tmp_path, clock)
    poll_for(first, clock, 100)
    first.record_failure("connection refused")
    first.close()
    (info,) = query.list_clusters(tmp_path)
    assert info.ended.startswith("unreachable since") and "connection refused" in info.ended
    second = core_at(tmp_path, clock)
    poll_for(second, clock, 100)
    second.close()
    (info,) = query.list_clusters(tmp_path)
    assert info.ended == "sovtui stopped recording"
    assert rows(info.path, "SELECT count(*) FROM cluster_raw")[0][0] == 100


# Failures: states, never crashes, nothing lost -----------------------------------------------


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "tiny", "256k") as mount_point:
        yield mount_point


def test_a_full_disk_stops_recording_and_keeps_what_was_written(tiny_tmpfs: Path) -> None:
    clock = Clock()
    core = core_at(tiny_tmpfs, clock)
    core.record(snapshot(clock.now, nodes=5))
    assert core.state.kind == RECORDING
    path = core.path
    assert path is not None
    written_polls = 1
    for _ in range(2000):
        clock.now += 2
        core.record(snapshot(clock.now, nodes=5))
        if core.state.kind == STOPPED:
            break
        written_polls += 1
    assert core.state.kind == STOPPED and "disk full" in core.state.message
    written = query.describe(path)
    assert written is not None and written.last_seen > T0
    kept = rows(path, "SELECT count(*) FROM cluster_raw")[0][0]
    assert kept == written_polls and written_polls > 3  # every poll before the failure
    assert rows(path, "PRAGMA integrity_check") == [("ok",)]
    core.record(snapshot(clock.now + 2))  # stopped: quietly nothing
    core.close()


def test_a_read_only_place_is_a_state(tiny_tmpfs: Path) -> None:
    clock = Clock()
    core = core_at(tiny_tmpfs, clock)
    poll_for(core, clock, 20)
    core.close()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_tmpfs)], check=True)
    again = core_at(tiny_tmpfs, clock)
    again.record(snapshot(clock.now))
    assert again.state.kind == STOPPED and "read-only" in again.state.message
    (info,) = query.list_clusters(tiny_tmpfs)  # still readable
    assert info.last_seen == pytest.approx(T0 + 18)
    fresh = core_at(tiny_tmpfs / "sub", clock)  # a folder that cannot be made
    fresh.record(snapshot(clock.now))
    assert fresh.state.kind == STOPPED and "read-only" in fresh.state.message


def test_a_corrupt_file_is_moved_aside_not_deleted(tmp_path: Path) -> None:
    key = TARGET.key(SESSION)
    path = store.db_path(key, tmp_path)
    garbage = b"this is not a database at all\n" * 200
    path.write_bytes(garbage)
    clock = Clock()
    core = core_at(tmp_path, clock)
    poll_for(core, clock, 10)
    assert core.state.kind == WARNING and "corrupt" in core.state.message
    aside = list(tmp_path.glob(f"{path.name}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    core.close()
    assert rows(path, "SELECT count(*) FROM cluster_raw")[0][0] == 5


def test_a_file_from_a_newer_sovtui_is_left_alone(tmp_path: Path) -> None:
    key = TARGET.key(SESSION)
    path = store.db_path(key, tmp_path)
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    before = path.read_bytes()
    core = core_at(tmp_path, Clock())
    core.record(snapshot(T0))
    assert core.state.kind == STOPPED and "newer schema" in core.state.message
    assert path.read_bytes() == before


_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sovtui.recorder.identity import Target
    from sovtui.recorder.writer import RecordingCore
    from tests.support.recorder_data import snapshot
    core = RecordingCore(Target("http://127.0.0.1:8265", "attached"), directory=Path(sys.argv[1]))
    core.record(snapshot(1795315200.0))
    print(core.state.kind, flush=True)
    sys.stdin.readline()
    core.close()
    """
)


def test_two_processes_one_writer(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == RECORDING
        clock = Clock(T0 + 10)
        second = core_at(tmp_path, clock)
        second.record(snapshot(clock.now))
        assert second.state.kind == STOPPED
        assert f"another sovtui (pid {child.pid}) is recording this cluster" in second.state.message
        (info,) = query.list_clusters(tmp_path)
        assert info.recording_pid == str(child.pid) and info.ended.startswith("recording now")
        assert info.last_seen == T0  # the second wrote nothing
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    third = core_at(tmp_path, Clock(T0 + 20))
    third.record(snapshot(T0 + 20))
    assert third.state.kind == RECORDING
    third.close()


# The threaded Recorder and the dashboard's hook ---------------------------------------------


def test_submit_returns_at_once_and_the_thread_writes(tmp_path: Path) -> None:
    recorder = Recorder(TARGET, HistorySettings(), directory=tmp_path)
    started = time.perf_counter()
    for index in range(20):
        recorder.submit(snapshot(T0 + 2 * index, nodes=10))
    assert time.perf_counter() - started < 0.5
    assert recorder.flush(30)
    assert recorder.state.kind == RECORDING
    recorder.close()
    (info,) = query.list_clusters(tmp_path)
    assert rows(info.path, "SELECT count(*) FROM cluster_raw")[0][0] + recorder.dropped == 20


def test_a_full_queue_drops_instead_of_blocking(tmp_path: Path) -> None:
    recorder = Recorder(TARGET, HistorySettings(), directory=tmp_path)
    gate = __import__("threading").Event()
    recorder._queue.put((gate.wait, (), 0.0))  # the writer is busy
    for index in range(QUEUE_SIZE + 10):
        recorder.submit(snapshot(T0 + index))
    assert recorder.dropped >= 10
    gate.set()
    assert recorder.flush(30)
    recorder.close()


def test_a_snapshot_is_written_after_the_ui_has_drawn_its_poll(tmp_path: Path) -> None:
    """The writer leaves the GIL to the UI while it renders the same poll: a snapshot is
    written SETTLE_S after it was submitted, never sooner, and nothing is lost."""
    recorder = Recorder(TARGET, HistorySettings(), directory=tmp_path)
    written: list[float] = []
    record = recorder.core.record

    def timed_record(snap: Any) -> None:
        written.append(time.monotonic())
        record(snap)

    recorder.core.record = timed_record  # type: ignore[method-assign,assignment]
    submitted = time.monotonic()
    recorder.submit(snapshot(T0))
    recorder.submit(snapshot(T0 + 2))
    assert recorder.flush(30)
    recorder.close()
    assert len(written) == 2
    assert written[0] - submitted >= SETTLE_S * 0.99


def test_start_recording_follows_the_settings(tmp_path: Path) -> None:
    class Conn:
        address, mode, project = "http://10.0.0.5:8265", "compose", "demo"

    off = start_recording(Settings(history=HistorySettings(record=False)), Conn())
    off.submit(snapshot(T0))
    assert off.state.kind == "off"
    on = start_recording(Settings(), Conn(), directory=tmp_path)
    on.submit(snapshot(T0))
    assert on.flush(30)
    on.close()
    (info,) = query.list_clusters(tmp_path)
    assert info.mode == "compose" and info.project == "demo" and info.label.startswith("compose")


def test_history_settings_from_yaml_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "sovtui.yaml"
    config.write_text("history:\n  keep_days: 3\n  max_mb: 200\n")
    settings = load_settings(user_file=config, environ={"SOVTUI_HISTORY__RAW_MINUTES": "15"})
    assert settings.history == HistorySettings(raw_minutes=15, keep_days=3, max_mb=200)
    config.write_text("history:\n  keep_days: -1\n")
    with pytest.raises(Exception, match=r"history\.keep_days"):
        load_settings(user_file=config, environ={})


# The command line ----------------------------------------------------------------------------


@pytest.fixture
def recorded_history(isolated_dirs: Path) -> Iterator[Path]:
    directory = store.history_dir()
    clock = Clock()
    core = RecordingCore(TARGET, HistorySettings(), directory=directory, clock=clock)
    poll_for(core, clock, 200, nodes=2, cpu=60.0, jobs=(job("cli-job", "RUNNING", T0),),
             job_ids=frozenset({"02000000"}))  # fmt: skip
    core.record(snapshot(clock.now, nodes=2, jobs=(job("cli-job", "SUCCEEDED", T0, clock.now),)))
    core.close()
    yield directory
    for path in directory.iterdir():
        path.unlink()


def test_history_lists_and_shows(
    recorded_history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    key = TARGET.key(SESSION)
    assert key in out and "attached · http://127.0.0.1:8265" in out and "jobs 1" in out
    assert main(["history", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["key"] == key and listed["nodes"] == 2 and listed["jobs"] == 1
    assert main(["history", "show", key[:12], "--since", "1m"]) == 0
    text = capsys.readouterr().out
    assert "cli-job" in text and "SUCCEEDED" in text and "CPU 60% of 4 cores" in text
    assert main(["history", "show", "http://127.0.0.1:8265", "--json", "--nodes"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["jobs"][0]["efficiency"].startswith("CPU 60% of 4 cores")
    assert document["series"]["cpu_pct"][0][1:] == [60.0, 60.0, 60.0]
    assert len(document["node_series"]) == 2
    assert main(["history", "show", key, "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "time,scope,metric,min,mean,max" and len(lines) > 10


def test_history_bad_input_is_one_line_exit_2(
    recorded_history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "show", "nothing-like-it"]) == 2
    assert main(["history", "show", TARGET.key(SESSION), "--since", "soon"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "--since 'soon'" in errors[1]


def test_history_prune_command(recorded_history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["SOVTUI_HISTORY__KEEP_CLUSTERS_DAYS"] = "0.0001"
    try:
        assert main(["history", "prune", "--dry-run"]) == 0
        assert "would be removed" in capsys.readouterr().out
        assert len(query.list_clusters()) == 1
        assert main(["history", "prune"]) == 0
    finally:
        del os.environ["SOVTUI_HISTORY__KEEP_CLUSTERS_DAYS"]
    assert query.list_clusters() == []
