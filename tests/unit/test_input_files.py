"""A settings, theme, preset or Compose path that is not a small regular file is named, with what
it is, instead of being skipped silently, blocking on a FIFO, or parsed for a minute."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sovtui.cli import main
from sovtui.cluster.compose.compose_model import load_compose
from sovtui.cluster.errors import ComposeError
from sovtui.presets.loader import load_folder
from sovtui.settings.model import ConfigError
from sovtui.settings.sources import load_settings
from sovtui.support import input_files
from sovtui.tui.themes import load_themes

ROOT = Path(__file__).resolve().parents[2]
PRESET = (
    "name: tiny\ntitle: Tiny\ndescription: d\nworkload: {module: sovtui.workloads.hello_tasks}\n"
)


def _unblock(fifo: Path) -> None:
    """Release a reader stuck in open() on a FIFO (the old code's failure mode)."""
    try:
        descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return  # nobody is waiting
    os.close(descriptor)


def _within(seconds: float, action: Callable[[], Any], fifo: Path | None = None) -> Any:
    """Run `action` in a thread; fail (instead of hanging the suite) if it blocks."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = action()
        except BaseException as error:  # handed to the test below
            result["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        if fifo is not None:
            _unblock(fifo)
        worker.join(5)
        pytest.fail(f"blocked for more than {seconds} s")
    if "error" in result:
        raise result["error"]
    return result.get("value")


BadMaker = Callable[[Path], str]


def _directory(path: Path) -> str:
    path.mkdir()
    return "is a directory"


def _dangling(path: Path) -> str:
    path.symlink_to(path.parent / "gone.yaml")
    return "dangling symlink"


def _loop(path: Path) -> str:
    path.symlink_to(path)
    return "symlink loop"


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return "FIFO"


BAD_PATHS: dict[str, BadMaker] = {
    "directory": _directory,
    "dangling symlink": _dangling,
    "symlink loop": _loop,
    "fifo": _fifo,
}


@pytest.fixture(params=sorted(BAD_PATHS))
def make_bad(request: pytest.FixtureRequest) -> Iterator[Callable[[Path], str]]:
    """Turns a path into one kind of unusable path; returns words its message must hold."""
    made: list[Path] = []

    def make(path: Path) -> str:
        made.append(path)
        return BAD_PATHS[request.param](path)

    yield make
    for path in made:
        if request.param == "fifo":
            _unblock(path)


@pytest.fixture
def bad_path(make_bad: Callable[[Path], str], tmp_path: Path) -> tuple[Path, str]:
    """(path, words the message must hold), alone in a folder of its own."""
    folder = tmp_path / "place"
    folder.mkdir()
    path = folder / "thing.yaml"
    return path, make_bad(path)


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private config and cache homes; returns the user config file's path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    user = tmp_path / "config" / "sovtui" / "sovtui.yaml"
    user.parent.mkdir(parents=True)
    return user


# -- settings -------------------------------------------------------------------------------


def test_default_user_config_that_is_not_a_file_is_an_error(
    make_bad: Callable[[Path], str], xdg: Path
) -> None:
    words = make_bad(xdg)
    with pytest.raises(ConfigError) as caught:
        _within(10, lambda: load_settings(environ={}), fifo=xdg)
    assert str(xdg) in str(caught.value) and words in str(caught.value)


def test_explicit_config_that_is_not_a_file_is_an_error(bad_path: tuple[Path, str]) -> None:
    path, words = bad_path
    with pytest.raises(ConfigError) as caught:
        _within(10, lambda: load_settings(user_file=path, environ={}), fifo=path)
    assert str(path) in str(caught.value) and words in str(caught.value)


def test_a_missing_default_user_config_is_still_fine(xdg: Path) -> None:
    assert not xdg.exists()
    assert load_settings(environ={}).interval == 2.0


def test_status_exits_2_naming_a_fifo_config_without_blocking(xdg: Path) -> None:
    """The reported case: the user's `address:` was lost without a word; now exit 2."""
    os.mkfifo(xdg)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "sovtui", "status"],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        _unblock(xdg)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and str(xdg) in lines[0] and "FIFO" in lines[0]


def test_an_oversized_config_is_rejected_before_reading(tmp_path: Path) -> None:
    user = tmp_path / "sovtui.yaml"
    with user.open("w") as handle:
        handle.write("interval: 5\n")
        handle.truncate(3 * 2**20)  # sparse: 3 MiB on paper
    with pytest.raises(ConfigError) as caught:
        load_settings(user_file=user, environ={})
    assert str(user) in str(caught.value) and "3.0 MiB" in str(caught.value)


def test_cli_exits_2_for_a_directory_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--config", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "is a directory" in err and "Traceback" not in err


# -- themes, presets, Compose files -----------------------------------------------------------


def test_theme_path_that_is_not_a_file_is_reported(bad_path: tuple[Path, str]) -> None:
    path, words = bad_path
    loaded = _within(10, lambda: load_themes([path.parent]), fifo=path)
    assert [failure.path for failure in loaded.failures] == [path]
    assert words in loaded.failures[0].reason


def test_preset_path_that_is_not_a_file_is_reported(bad_path: tuple[Path, str]) -> None:
    path, words = bad_path
    (path.parent / "ok.yaml").write_text(PRESET)
    presets, failures = _within(10, lambda: load_folder(path.parent), fifo=path)
    assert list(presets) == ["tiny"]
    assert [failure.file for failure in failures] == [path]
    assert words in failures[0].reason


def test_a_huge_preset_is_rejected_at_once_by_its_size(tmp_path: Path) -> None:
    """A 50 MB preset took 53 s and 1.35 GB; it is refused from its size, before reading."""
    huge = tmp_path / "huge.yaml"
    line = "  - tag-0000000\n"
    huge.write_text(PRESET.replace("tiny", "huge") + "tags:\n" + line * (50 * 2**20 // len(line)))
    started = time.perf_counter()
    presets, failures = load_folder(tmp_path)
    took = time.perf_counter() - started
    assert presets == {}
    assert len(failures) == 1 and failures[0].file == huge
    assert "50.0 MiB" in failures[0].reason and "limit is 1.0 MiB" in failures[0].reason
    assert took < 1.0


def test_a_preset_just_under_the_limit_loads(tmp_path: Path) -> None:
    line = "  - t\n"
    body = PRESET + "tags:\n" + line * ((input_files.MAX_INPUT_BYTES - 200) // len(line))
    (tmp_path / "big.yaml").write_text(body)
    presets, failures = load_folder(tmp_path)
    assert failures == [] and list(presets) == ["tiny"]


def test_an_oversized_compose_file_is_bad_input(tmp_path: Path) -> None:
    big = tmp_path / "compose.yaml"
    big.write_text("services: {}\n" + "#" * (2 * 2**20))
    with pytest.raises(ComposeError) as caught:
        load_compose(big)
    assert str(big) in str(caught.value) and "2.0 MiB" in str(caught.value)


def test_up_with_a_fifo_compose_file_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    fifo = tmp_path / "compose.yaml"
    os.mkfifo(fifo)
    assert _within(10, lambda: main(["up", str(fifo)]), fifo=fifo) == 2
    err = capsys.readouterr().err
    assert str(fifo) in err and "FIFO" in err


def test_read_text_refuses_a_file_that_became_a_fifo_after_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """O_NONBLOCK + fstat: even a FIFO swapped in after the stat cannot block the read."""
    fifo = tmp_path / "swapped.yaml"
    os.mkfifo(fifo)
    monkeypatch.setattr(input_files, "problem", lambda path, limit=0: None)
    with pytest.raises(input_files.InputFileError, match="FIFO"):
        _within(10, lambda: input_files.read_text(fifo), fifo=fifo)
