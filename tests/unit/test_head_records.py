"""The private directory of embedded heads and the notes that let a later sovtui find them."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from sovtui.cluster import head_records, private_dir
from sovtui.cluster.head_records import HeadRecord
from tests.support.head_processes import start_guard


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "b"
    monkeypatch.setattr(private_dir, "base_path", lambda: path)
    monkeypatch.setattr(head_records, "inside_private_base", lambda p: path in p.parents)
    monkeypatch.setattr(private_dir, "MAX_HEAD_DIR_LENGTH", 4096)  # pytest's paths are long
    # Its own notes: the session's Ray head (tests/conftest.py) has one in the shared state dir.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return path


def test_the_base_is_made_0700_and_a_head_dir_is_short_and_private(base: Path) -> None:
    old = os.umask(0)
    try:
        head_dir = private_dir.new_head_dir()
    finally:
        os.umask(old)
    assert stat.S_IMODE(base.stat().st_mode) == 0o700
    assert stat.S_IMODE(head_dir.stat().st_mode) == 0o700
    token = private_dir.write_token(head_dir, "secret")
    assert stat.S_IMODE(token.stat().st_mode) == 0o600


def test_the_real_base_path_is_short_enough_for_rays_sockets() -> None:
    assert len(str(private_dir.base_path())) + 10 <= private_dir.MAX_HEAD_DIR_LENGTH


def test_a_symlink_in_place_of_the_base_is_refused(base: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    base.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(private_dir.PrivateDirError, match="symlink"):
        private_dir.private_base()


def test_a_base_owned_by_another_user_is_refused(base: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a directory away needs root")
    base.mkdir(mode=0o700)
    os.chown(base, 65534, 65534)
    with pytest.raises(private_dir.PrivateDirError, match="belongs to uid 65534"):
        private_dir.private_base()


def test_a_loose_base_of_ours_is_tightened(base: Path) -> None:
    base.mkdir()
    base.chmod(0o777)
    private_dir.private_base()
    assert stat.S_IMODE(base.stat().st_mode) == 0o700


def note(pid: int, temp_dir: Path, kept: bool = False) -> HeadRecord:
    return HeadRecord(pid, "http://127.0.0.1:1", "127.0.0.1:2", str(temp_dir), "", "", kept)


def test_notes_are_0600_and_stale_ones_are_reaped_with_their_dir(base: Path) -> None:
    head_dir = private_dir.new_head_dir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    path = head_records.save(note(dead.pid, head_dir))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A live pid that is not a guard (a recycled pid) is stale as well.
    head_records.save(note(os.getpid(), base / "not-made"))
    assert head_records.live_records() == []
    assert not path.exists() and not head_dir.exists()
    assert list(head_records.records_dir().iterdir()) == []


def test_a_note_never_removes_a_dir_outside_the_private_base(base: Path, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    head_records.save(note(999_999_999, precious))
    assert head_records.live_records() == []
    assert precious.exists()


def test_a_running_guard_is_live(base: Path) -> None:
    guard, lifeline, _sleep = start_guard()  # the guard runs its own code once `sleep` runs
    try:
        head_records.save(note(guard.pid, base / "h1", kept=True))
        (live,) = head_records.live_records()
        assert live.pid == guard.pid and live.kept
    finally:
        os.close(lifeline)  # the guard stops its `sleep` and exits
        guard.wait(timeout=10)


def test_an_unwritable_state_dir_is_an_oserror(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state-file"
    state.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    with pytest.raises(OSError):
        head_records.save(note(1, base))
    assert head_records.live_records() == []
