"""Cluster state: the token is private (0600) and never in the JSON record."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovtui.cluster.compose import store
from tests.support.tmpfs import small_tmpfs


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))


def test_token_is_private_and_stable() -> None:
    token, created = store.ensure_token("p1")
    assert created and len(token) >= 32
    mode = stat.S_IMODE(store.token_path("p1").stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(store.cluster_dir("p1").stat().st_mode) == 0o700
    assert store.ensure_token("p1") == (token, False)


def test_record_round_trip_without_token() -> None:
    token, _ = store.ensure_token("p2")
    record = store.ClusterRecord("p2", "/f.yaml", "http://127.0.0.1:8265", 2, {"A": "1"})
    store.save_record(record)
    assert store.load_record("p2") == record
    assert token not in (store.cluster_dir("p2") / store.RECORD_FILE).read_text()
    store.forget("p2")
    assert store.load_record("p2") is None and store.read_token("p2") is None


@pytest.mark.parametrize("name", ["Upper", "-x", "a b", ""])
def test_bad_project_names(name: str) -> None:
    assert store.project_name_problem(name)


# -- a full or failing state dir: one error naming the path, nothing partial ----------------

SHIPPED = Path(__file__).resolve().parents[2] / "deployments" / "compose" / "cpu-ray-cluster.yaml"


def _fill(folder: Path) -> None:
    """Write until the filesystem says it is full."""
    with (folder / "filler").open("ab", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC


@pytest.fixture
def full_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """XDG_STATE_HOME on a 64 KiB tmpfs that is already full (an over-quota $HOME)."""
    with small_tmpfs(tmp_path / "small", "64k") as mount_point:
        (mount_point / "sovtui").mkdir()
        _fill(mount_point)
        monkeypatch.setenv("XDG_STATE_HOME", str(mount_point))
        yield mount_point


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name != "filler")


def _regular_files(folder: Path) -> list[str]:
    return [name for name in _files(folder) if (folder / name).is_file()]


def test_ensure_token_on_a_full_disk_leaves_no_token_file(full_state: Path) -> None:
    with pytest.raises(store.StateWriteError) as caught:
        store.ensure_token("full")
    message = str(caught.value)
    assert str(store.cluster_dir("full")) in message and "No space left" in message
    assert len(message.splitlines()) == 1
    assert store.read_token("full") is None
    assert not store.cluster_dir("full").exists()
    assert _regular_files(full_state) == []  # no token, no temp file


def test_up_on_a_full_state_dir_is_one_line_and_starts_nothing(full_state: Path) -> None:
    """Reported: a traceback and an empty token file. Now: exit 1, one line, nothing left."""
    run = subprocess.run(
        [sys.executable, "-m", "sovtui", "up", str(SHIPPED), "--project", "fullstate"],
        env=dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr
    assert str(full_state) in lines[0] and "No space left" in lines[0]
    assert not store.cluster_dir("fullstate").exists()
    assert _regular_files(full_state) == []


def test_a_failed_record_write_keeps_the_old_record(full_state: Path) -> None:
    (full_state / "filler").unlink()
    store.ensure_token("keep")
    old = store.ClusterRecord("keep", "/f.yaml", "http://127.0.0.1:8265", 1)
    store.save_record(old)
    _fill(full_state)
    with pytest.raises(store.StateWriteError, match=r"cluster\.json"):
        store.save_record(store.ClusterRecord("keep", "/f.yaml", "http://127.0.0.1:8265", 9))
    assert store.load_record("keep") == old
    assert _files(full_state) == [
        "sovtui",
        "sovtui/clusters",
        "sovtui/clusters/keep",
        "sovtui/clusters/keep/cluster.json",
        "sovtui/clusters/keep/token",
    ]


def test_a_write_that_fails_at_fsync_leaves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same without a tmpfs: the failure may come as late as fsync."""

    def no_space(_: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.os, "fsync", no_space)
    with pytest.raises(store.StateWriteError, match="token: No space left"):
        store.ensure_token("late")
    assert not store.cluster_dir("late").exists()


def test_token_file_is_private_from_its_creation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Even the temp file the token is first written to is 0600."""
    modes: list[int] = []
    real_replace = os.replace

    def watching(source: str, target: object) -> None:
        modes.append(stat.S_IMODE(os.stat(source).st_mode))
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(store.os, "replace", watching)
    store.ensure_token("private")
    assert modes == [0o600]
