"""`w` on the Job screen saves the whole driver log, streamed, against a real Ray head (issue 9,
defect 6): every one of 200,000 lines, byte for byte as Ray wrote the file (`\\r` progress bars and
bytes that are not UTF-8 included, which Ray's JSON log answer cannot carry), in a 0600 file; past
the save limit nothing is kept and the message says why.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sovtui.cluster.connect import Connection
from sovtui.cluster.embedded_head import EmbeddedHead
from sovtui.ray_api.auth import explicit_token
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.errors import DashboardTooLarge
from sovtui.ray_api.jobs import JobNotFound, JobsApi, JobSpec
from sovtui.ray_api.log_file import save_driver_log
from sovtui.settings.model import Settings
from sovtui.support import locations
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.job import JobScreen
from tests.integration.test_pty_hostile import driver_log_file
from tests.support.app_factory import make_app
from tests.support.waiting import wait_for

pytestmark = pytest.mark.ray

LINES = 200_000
BIG_LOG_CODE = (
    "import sys\n"
    "write = sys.stdout.write\n"
    f"for i in range({LINES}):\n"
    "    write(f'line {i}\\n')\n"
    "sys.stdout.flush()\n"
    "sys.stdout.buffer.write(b'progress 50%\\rprogress 100%\\r\\nnot utf-8: \\xff\\xfe\\n')\n"
)


async def _submit_and_wait(head: EmbeddedHead, submission_id: str, code: str) -> str:
    client = DashboardClient(head.dashboard_url, explicit_token(head.token, "test head"))
    try:
        jobs = JobsApi(client)
        spec = JobSpec(entrypoint=shlex.join([sys.executable, "-c", code]), entrypoint_num_cpus=0)
        submitted = await jobs.submit(spec, submission_id)
        details = await jobs.wait(submitted.submission_id, poll_s=0.5, timeout_s=180)
        assert details.status == "SUCCEEDED", details.message
        return submitted.submission_id
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
def big_job(ray_head: EmbeddedHead) -> str:
    return asyncio.run(_submit_and_wait(ray_head, "save-log-200k", BIG_LOG_CODE))


def saved_logs() -> list[Path]:
    folder = locations.data_dir() / "logs"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def notes(app: SovtuiApp) -> list[str]:
    return [str(note.message) for note in app._notifications]


async def press_w(app: SovtuiApp, job_id: str, done: Callable[[list[str]], bool]) -> list[str]:
    """Open the job's screen from the dashboard, press `w`, wait for the outcome's message."""
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                app.snapshot is not None
                and any(job.display_id == job_id for job in app.snapshot.jobs)
            ),
        )
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert screen.select_job(job_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobScreen))
        await pilot.press("w")
        await wait_for(pilot, lambda: done(notes(app)), timeout=180)
        assert app.is_running
        return notes(app)


def test_w_saves_every_line_byte_for_byte(
    ray_head: EmbeddedHead, ray_connection: Connection, big_job: str
) -> None:
    before = set(saved_logs())
    app = make_app(ray_connection, Settings(interval=1.0, log_lines=1000))
    messages = asyncio.run(
        press_w(app, big_job, lambda notes: any("saved to" in n or "not saved" in n for n in notes))
    )
    (saved,) = set(saved_logs()) - before
    assert saved.name.startswith(f"{big_job}-") and saved.suffix == ".log"
    done = next(message for message in messages if "saved to" in message)
    assert done.endswith(str(saved)), messages
    assert saved.stat().st_mode & 0o777 == 0o600
    data = saved.read_bytes()
    assert data == driver_log_file(ray_head, big_job).read_bytes()
    numbered = [line for line in data.split(b"\n") if line.startswith(b"line ")]
    assert numbered == [f"line {i}".encode() for i in range(LINES)]
    assert data.endswith(b"progress 50%\rprogress 100%\r\nnot utf-8: \xff\xfe\n")
    newlines = data.count(b"\n")
    assert f"{newlines:,} lines ({len(data):,} bytes)" in done


def test_w_past_the_save_limit_keeps_nothing_and_says_why(
    ray_connection: Connection, big_job: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(JobScreen, "save_max_bytes", 1024 * 1024)
    before = set(saved_logs())
    app = make_app(ray_connection, Settings(interval=1.0, log_lines=1000))
    messages = asyncio.run(
        press_w(app, big_job, lambda notes: any("not saved" in n for n in notes))
    )
    failure = next(message for message in messages if "not saved" in message)
    assert "larger than 1 MiB (the save limit)" in failure, messages
    assert set(saved_logs()) == before  # no file, no .part left behind


async def _save(connection: Connection, job_id: str, path: Path) -> None:
    try:
        await save_driver_log(connection.client, job_id, path)
    finally:
        await connection.client.aclose()


def test_saving_a_log_that_is_not_there_is_a_clear_error(
    ray_connection: Connection, tmp_path: Path
) -> None:
    with pytest.raises(JobNotFound, match="no job 'no-such-job'"):
        asyncio.run(_save(ray_connection, "no-such-job", tmp_path / "x.log"))
    assert list(tmp_path.iterdir()) == []


def test_the_limit_is_checked_while_streaming(
    ray_connection: Connection, big_job: str, tmp_path: Path
) -> None:
    async def small() -> None:
        try:
            await save_driver_log(
                ray_connection.client, big_job, tmp_path / "x.log", max_bytes=100_000
            )
        finally:
            await ray_connection.client.aclose()

    with pytest.raises(DashboardTooLarge, match=r"larger than 100,000 bytes \(the save limit\)"):
        asyncio.run(small())
    assert list(tmp_path.iterdir()) == []  # the partial file is gone
