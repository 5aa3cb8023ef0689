"""SIGHUP and SIGTERM end sovtui's commands the way Ctrl-C does, never on the spot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sovtui.cli.hangup import Hangup, hangup_signals

REPO = Path(__file__).resolve().parents[2]

SLOW_UP = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import sovtui.cli.compose as compose

    marker = Path(sys.argv[1])

    class SlowDriver:  # `up` half way: containers made, waiting for the GCS
        def __init__(self, project, progress=None):
            self.progress = progress

        def up(self, file, workers, wait=True):
            try:
                marker.write_text("started")
                time.sleep(60)
            except BaseException:
                marker.write_text("rolled back")  # what ComposeDriver.up's rollback does
                raise

    compose.ComposeDriver = SlowDriver
    from sovtui.cli import main
    raise SystemExit(main(["up", sys.argv[2]]))
    """
)


@pytest.mark.parametrize("number", [signal.SIGHUP, signal.SIGTERM])
def test_a_hangup_during_up_rolls_back_like_ctrl_c(tmp_path: Path, number: int) -> None:
    marker = tmp_path / "marker"
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text("services: {}\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_UP, str(marker), str(compose_file)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.read_text() == "started"
        process.send_signal(number)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert marker.read_text() == "rolled back"
    assert process.returncode == 128 + number, err
    assert "Traceback" not in err


def test_only_the_first_signal_counts_and_handlers_are_restored() -> None:
    seen: list[int] = []
    before = signal.getsignal(signal.SIGHUP)
    with hangup_signals(seen.append):
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)  # a second one must not cut the clean-up short
        time.sleep(0.05)
    assert seen == [signal.SIGHUP]
    assert signal.getsignal(signal.SIGHUP) == before


def test_a_hangup_is_a_keyboard_interrupt_with_the_shells_exit_code() -> None:
    error = Hangup(signal.SIGTERM)
    assert isinstance(error, KeyboardInterrupt)
    assert error.exit_code == 143
    assert str(error) == "SIGTERM"
