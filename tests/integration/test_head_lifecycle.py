"""A real `python -m sovtui` with an embedded head in a pseudo-terminal: however sovtui ends
(hang-up, SIGTERM, SIGKILL, `q`), no process of its head survives; `--keep` heads are found again;
a state dir that cannot be written costs a warning, not the head's clean-up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovtui.cluster.embedded_head import EmbeddedHeadError, ray_executable
from sovtui.cluster.ports import free_port
from tests.support.head_processes import (
    alive,
    command_name,
    process_tree,
    processes_of,
    wait_gone,
)
from tests.support.must_run import need_real
from tests.support.sovtui_terminal import FOOTER_MARK, SovtuiTerminal
from tests.support.waiting import wait_until

pytestmark = pytest.mark.ray

REPO = Path(__file__).resolve().parents[2]
START_S = 150.0  # a head starts in ~10 s; two cores shared with other work can take longer
GONE_S = 45.0


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """XDG dirs of one user, with a config that never finds another cluster."""
    try:
        ray_executable()
    except EmbeddedHeadError as error:
        need_real(str(error))
    config = tmp_path / "config" / "sovtui"
    config.mkdir(parents=True)
    (config / "sovtui.yaml").write_text(
        f"default_address: http://127.0.0.1:{free_port()}\n"
        "interval: 1.0\n"
        "embedded:\n  num_cpus: 1\n  object_store_mb: 100\n  start_timeout: 120\n"
    )
    return tmp_path


def sovtui_env(home: Path, state: Path | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RAY_", "SOVTUI_", "XDG_")) or key == "SOVTUI_HOME"
    }
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(state or home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        HOME=str(home),
        TERM="xterm-256color",
        PYTHONPATH=os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH")))),
    )
    return env


@pytest.fixture
def terminals() -> Iterator[list[SovtuiTerminal]]:
    started: list[SovtuiTerminal] = []
    yield started
    for terminal in started:
        terminal.close()


def head_record(home: Path, timeout: float = 10.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in (home / "state" / "sovtui" / "embedded").glob("*.json"):
            record: dict[str, object] = json.loads(path.read_text())
            return record
        time.sleep(0.2)
    raise AssertionError("no record of the embedded head")


def crash_logs(home: Path) -> str:
    """The tracebacks sovtui saved: what a failed ending says about itself."""
    logs = sorted((home / "state" / "sovtui").glob("crash-*.log"))
    return "\n".join(f"{path}:\n{path.read_text()}" for path in logs)


def reap(home: Path) -> str:
    """What a starting sovtui does first: list live heads, removing notes of dead ones."""
    code = "from sovtui.cluster import head_records as r; print(len(r.live_records()))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=sovtui_env(home), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def running_sovtui(
    home: Path, terminals: list[SovtuiTerminal], *args: str, state: Path | None = None
) -> tuple[SovtuiTerminal, set[int]]:
    """sovtui with its dashboard drawn; returns it and every process it started."""
    terminal = SovtuiTerminal(args, sovtui_env(home, state), REPO)
    terminals.append(terminal)
    terminal.wait_for(FOOTER_MARK, START_S)
    head = process_tree(terminal.pid) - {terminal.pid}
    assert len(head) >= 5, f"expected a head's processes under sovtui, found {head}"
    return terminal, head


@pytest.mark.parametrize("ending", ["hang-up", "SIGHUP", "SIGTERM", "SIGKILL"])
def test_no_process_of_the_head_survives_sovtui(
    home: Path, terminals: list[SovtuiTerminal], ending: str
) -> None:
    terminal, head = running_sovtui(home, terminals)
    record = head_record(home)
    head_dir = Path(str(record["temp_dir"]))
    head |= processes_of(head_dir)
    if ending == "hang-up":
        terminal.hang_up()  # the SSH connection drops, the tmux pane is killed
    else:
        terminal.signal(getattr(signal, ending))
    left = wait_gone(head, head_dir, GONE_S)
    assert not left, f"after {ending}, processes of the head still run: {sorted(left)}"
    status = terminal.wait_exit(GONE_S)
    expected = {"hang-up": 129, "SIGHUP": 129, "SIGTERM": 143, "SIGKILL": -9}[ending]
    assert status == expected, crash_logs(home) or terminal.output[-1500:]
    if crash_logs(home):  # an error while closing: the ending held, but say what failed
        warnings.warn(
            f"sovtui failed while closing after {ending}: {crash_logs(home)}", stacklevel=1
        )
    records = list((home / "state" / "sovtui" / "embedded").glob("*.json"))
    if ending == "SIGKILL":
        # Nothing in sovtui ran: the note stays until the next start reaps it with the dead
        # head's private dir.
        assert len(records) == 1
        assert reap(home) == "0"
        records = list((home / "state" / "sovtui" / "embedded").glob("*.json"))
    assert records == []
    assert not head_dir.exists()


def test_kept_head_is_found_again_and_stops_with_kill(
    home: Path, terminals: list[SovtuiTerminal]
) -> None:
    terminal, head = running_sovtui(home, terminals, "--keep")
    record = head_record(home)
    guard = int(str(record["pid"]))
    head_dir = Path(str(record["temp_dir"]))
    os.write(terminal.master, b"q")
    assert terminal.wait_exit(60) == 0, terminal.output[-1500:]
    said = bytes(terminal.output).decode(errors="replace")
    assert f"kill {guard}" in said and "sovtui status" in said
    try:
        assert alive(guard)
        # `status` never starts a head: it answers only if the kept one is found, with its token.
        status = subprocess.run(
            [sys.executable, "-m", "sovtui", "status", "--json"],
            env=sovtui_env(home),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr
        document = json.loads(status.stdout)
        assert document["mode"] == "embedded"
        assert document["address"] == record["dashboard_url"]
        assert len(document["nodes"]) == 1
    finally:
        os.kill(guard, signal.SIGTERM)  # what the printed advice says
    assert not wait_gone(head | {guard}, head_dir, GONE_S)
    assert reap(home) == "0"  # the next start finds the note stale and removes it and the dir
    assert not list((home / "state" / "sovtui" / "embedded").glob("*.json"))
    assert not head_dir.exists()


@pytest.mark.parametrize("broken", ["a file", "unwritable"])
def test_a_state_dir_that_cannot_be_written_is_a_warning(
    home: Path, terminals: list[SovtuiTerminal], broken: str
) -> None:
    if broken == "a file":
        state = home / "state-file"
        state.write_text("not a directory\n")
    else:
        # Tests run as root, which mode bits do not stop: sysfs refuses even root a new dir.
        state = Path("/sys")
    terminal, head = running_sovtui(home, terminals, state=state)
    said = bytes(terminal.output).decode(errors="replace")
    assert "warning: cannot record the embedded head" in said
    assert "Traceback" not in said
    os.write(terminal.master, b"q")
    assert terminal.wait_exit(60) == 0, terminal.output[-1500:]
    assert not wait_gone(head, Path("/nonexistent"), GONE_S)


def test_a_hangup_while_the_head_starts_stops_it(
    home: Path, terminals: list[SovtuiTerminal]
) -> None:
    terminal = SovtuiTerminal((), sovtui_env(home), REPO)
    terminals.append(terminal)
    terminal.wait_for(b"starting an embedded Ray head", START_S)
    record = head_record(home)
    head_dir = Path(str(record["temp_dir"]))
    wait_until(
        lambda: any(command_name(pid) == "gcs_server" for pid in processes_of(head_dir)),
        START_S,
        "Ray's GCS to run (the head is coming up)",
    )
    head = process_tree(terminal.pid) | processes_of(head_dir)
    terminal.signal(signal.SIGHUP)
    assert not wait_gone(head, head_dir, GONE_S)
    assert terminal.wait_exit(GONE_S) == 129, terminal.output[-1500:]
    assert not list((home / "state" / "sovtui" / "embedded").glob("*.json"))
    assert not head_dir.exists()
