"""What really reaches the operator's terminal (issue 9, defects 1 and 2): the real `sovtui`
in a pseudo-terminal, against a real Ray head, with a real job whose entrypoint and output carry
OSC 52 (clipboard), OSC 0 (window title), ESC[?1049l (leave the alternate screen) and `[/x]`.
And a real crash: one line on the terminal, the traceback in a private file, exit 1.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sovtui.cluster.embedded_head import EmbeddedHead
from tests.support.pty_session import (
    FIRST_FRAME_MARK,
    LEAVE_ALT_SCREEN,
    in_pty,
    sovtui_argv,
    visible_text,
)
from tests.support.ray_cli import ray_job_submit

pytestmark = pytest.mark.ray

OSC52 = "\x1b]52;c;aGVsbG8="  # writes the operator's clipboard (terminated by BEL)
OSC0 = "\x1b]0;pwned"  # sets the window title
LEAVE_ALT = "\x1b[?1049l"  # throws the TUI out of the alternate screen
FORBIDDEN = (OSC52.encode(), OSC0.encode(), LEAVE_ALT_SCREEN)

# The job prints every sequence (ESC and BEL made at run time, so the log holds them raw) and,
# last, a marker made at run time too: the entrypoint's text never contains the marker itself.
# The trailing comment puts the raw sequences into the entrypoint as well (the jobs table and the
# Job screen's details show it).
HOSTILE_CODE = (
    "E, B = chr(27), chr(7)\n"
    "print('clip:' + E + ']52;c;aGVsbG8=' + B + ' title:' + E + ']0;pwned' + B)\n"
    "print('alt:' + E + '[?1049l' + ' colour:' + E + '[31mred' + E + '[0m')\n"
    "print('markup: [/x] [/bold] [red]not red[/red]')\n"
    "print('pty' + 'logend')\n"
    f"# {OSC52}\x07 {OSC0}\x07 {LEAVE_ALT} [/x]\n"
)
LOG_END = b"ptylogend"


def driver_log_file(head: EmbeddedHead, submission_id: str) -> Path:
    """The job's driver log as Ray wrote it on disk: the raw bytes the job printed."""
    name = f"job-driver-{submission_id}.log"
    found = sorted(head.temp_dir.glob(f"**/logs/{name}"))
    assert found, f"no {name} under {head.temp_dir}"
    return found[0]


@pytest.fixture(scope="module")
def hostile_job(ray_head: EmbeddedHead) -> str:
    return ray_job_submit(ray_head, f"pty-hostile-{os.getpid()}", HOSTILE_CODE)


def app_env(head: EmbeddedHead) -> dict[str, str]:
    env = dict(os.environ, RAY_AUTH_TOKEN=head.token, TERM="xterm-256color")
    for name in ("COLUMNS", "LINES", "NO_COLOR", "TEXTUAL"):
        env.pop(name, None)
    return env


def test_hostile_job_text_never_reaches_the_terminal(
    ray_head: EmbeddedHead, hostile_job: str
) -> None:
    """Dashboard (jobs table with the entrypoint), then the Job screen with the log: nothing of
    the sequences reaches the pty, `[/x]` is shown as text, and `q` still ends it with 0."""
    raw_log = driver_log_file(ray_head, hostile_job).read_bytes()
    assert OSC52.encode() in raw_log and LEAVE_ALT_SCREEN in raw_log  # the job did print them
    argv = sovtui_argv("--address", ray_head.dashboard_url, "--interval", "1")
    with in_pty(argv, app_env(ray_head)) as app:
        first_frame = app.wait_for(FIRST_FRAME_MARK, timeout=60) - len(FIRST_FRAME_MARK)
        # The first poll has filled the jobs table: the newest job (ours) is its first row.
        app.wait_for(hostile_job.encode(), start=first_frame, timeout=60)
        app.quiet(0.5)
        opened = len(app.output)
        app.press(b"j", b"\r")  # focus the jobs table, open the job under the cursor
        app.wait_for(LOG_END, start=opened, timeout=60)
        app.quiet(2.5)  # a poll or two more: repaints of the details, the table behind it
        assert app.alive(), "sovtui died with the hostile job on screen"
        # Keys still work: back to the dashboard and into the job again.
        app.press(b"\x1b", gap=0.5)
        reopened = len(app.output)
        app.press(b"\r")
        app.wait_for(LOG_END, start=reopened, timeout=60)
        app.quiet(1.0)
        before_quit = app.output
        assert app.alive()
        app.press(b"q")
        code = app.wait_exit(timeout=30)
    shown = before_quit[first_frame:]
    for sequence in FORBIDDEN:
        assert sequence not in shown, f"{sequence!r} reached the terminal"
    # Start-up included: nothing of the job's text is ever a terminal command.
    assert OSC52.encode() not in before_quit and OSC0.encode() not in before_quit
    text = visible_text(shown)
    assert "markup: [/x] [/bold] [red]not red[/red]" in text  # text, never parsed as markup
    assert "clip:" in text and "alt:" in text  # the lines are there, their sequences dropped
    assert code == 0, visible_text(app.output[-2000:])


CRASH_SCRIPT = """
import sys
from sovtui.tui.widgets.jobs_table import JobsTable

def show_jobs(self, jobs):  # a bug in a screen, hit by the first real answer from the cluster
    raise RuntimeError("injected bug " + chr(27) + "]52;c;aGVsbG8=" + chr(7) + " [/x]")

JobsTable.show_jobs = show_jobs
from sovtui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_crash_is_one_line_and_a_private_traceback_file(
    ray_head: EmbeddedHead, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    env = dict(app_env(ray_head), XDG_STATE_HOME=str(state))
    argv = [sys.executable, "-c", CRASH_SCRIPT, "--address", ray_head.dashboard_url]
    with in_pty(argv, env) as app:
        app.wait_for(FIRST_FRAME_MARK, timeout=60)
        code = app.wait_exit(timeout=60)
        output = app.output
    assert code == 1, visible_text(output[-2000:])
    # After Textual has left the alternate screen: what the operator reads in the shell.
    after = output[output.rindex(LEAVE_ALT_SCREEN) + len(LEAVE_ALT_SCREEN) :]
    assert b"\x1b]" not in after
    lines = [line for line in visible_text(after).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    (line,) = lines
    found = re.fullmatch(
        r"sovtui: unexpected error: RuntimeError: injected bug .* \(traceback in (\S+)\)", line
    )
    assert found, line
    report = Path(found.group(1))
    assert report.is_file() and report.is_relative_to(state)
    assert report.stat().st_mode & 0o777 == 0o600
    traceback = report.read_text()
    assert traceback.startswith("Traceback (most recent call last):")
    assert "in show_jobs" in traceback and "RuntimeError: injected bug" in traceback


def test_logs_to_a_terminal_are_made_safe(ray_head: EmbeddedHead, hostile_job: str) -> None:
    argv = sovtui_argv("logs", hostile_job, "--address", ray_head.dashboard_url)
    with in_pty(argv, app_env(ray_head)) as command:
        code = command.wait_exit(timeout=60)
        output = command.output
    assert code == 0, output[-2000:]
    assert b"\x1b" not in output and b"\x07" not in output
    text = output.decode()
    assert "clip: title:" in text and "alt: colour:red" in text  # sequences dropped whole
    assert "markup: [/x] [/bold] [red]not red[/red]" in text
    assert "ptylogend" in text


def test_logs_to_a_file_are_byte_exact(
    ray_head: EmbeddedHead, hostile_job: str, tmp_path: Path
) -> None:
    saved = tmp_path / "job.log"
    with saved.open("wb") as stdout:
        result = subprocess.run(
            sovtui_argv("logs", hostile_job, "--address", ray_head.dashboard_url),
            env=app_env(ray_head),
            stdout=stdout,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert saved.read_bytes() == driver_log_file(ray_head, hostile_job).read_bytes()
    assert OSC52.encode() + b"\x07" in saved.read_bytes()
