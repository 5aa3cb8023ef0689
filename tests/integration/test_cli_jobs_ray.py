"""`sovtui submit / logs / stop` end to end against the real Ray head."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from sovtui.cli import main
from sovtui.cluster.embedded_head import EmbeddedHead

pytestmark = pytest.mark.ray

PRESETS = {
    "cli-ok.yaml": """
name: cli-ok
workload:
  command: "python -c 'import sys; print(\\"args\\", sys.argv[1:])'"
params:
  - {name: count, type: int, default: 3, min: 1, max: 10}
""",
    "cli-fail.yaml": """
name: cli-fail
workload:
  command: "python -c 'import sys; [print(\\"fail line\\", i) for i in range(30)]; sys.exit(3)'"
""",
    "cli-sleep.yaml": """
name: cli-sleep
workload:
  command: >-
    python -c 'import time; [print("tick", i, flush=True) or time.sleep(0.5)
    for i in range(240)]'
""",
}


@pytest.fixture
def cli_env(ray_head: EmbeddedHead, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    folder = tmp_path / "config" / "sovtui" / "presets"
    folder.mkdir(parents=True)
    for name, text in PRESETS.items():
        (folder / name).write_text(text)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("RAY_AUTH_TOKEN", ray_head.token)
    monkeypatch.delenv("RAY_API_SERVER_ADDRESS", raising=False)
    return ["--address", ray_head.dashboard_url]


def test_submit_wait_json_succeeds(cli_env: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*cli_env, "submit", "cli-ok", "-p", "count=7", "--wait", "--json"])
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert code == 0, err
    assert document["status"] == "SUCCEEDED"
    assert document["submission_id"].startswith("sovtui-cli-ok-")
    assert json.loads(document["metadata"]["sovtui.params"]) == {"count": 7}
    assert "submitted sovtui-cli-ok-" in err  # progress goes to stderr under --json


def test_submit_follow_streams_the_log(
    cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*cli_env, "submit", "cli-ok", "--follow"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "args ['--count=3']" in out.splitlines()
    assert out.rstrip().endswith("SUCCEEDED")


def test_failed_job_reports_error_type_message_and_last_lines(
    cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*cli_env, "submit", "cli-fail", "--wait", "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    document = json.loads(out)
    assert document["status"] == "FAILED"
    assert document["error_type"]
    assert document["last_log_lines"][-1] == "fail line 29"
    assert len(document["last_log_lines"]) == 20
    assert f"({document['error_type']})" in err
    assert "message:" in err
    assert "last 20 log lines:" in err
    assert "  fail line 10" in err and "  fail line 9\n" not in err


def _job_field(head: EmbeddedHead, path: str, field: str) -> str:
    """One field of the job REST API's answer at `path`, asked directly (not through sovtui)."""
    answer = httpx.get(
        f"{head.dashboard_url}/api/jobs/{path}",
        headers={"Authorization": f"Bearer {head.token}"},
        timeout=30,
    )
    return str(answer.json()[field])


def _status(head: EmbeddedHead, job: str) -> str:
    return _job_field(head, job, "status")


def _logs(head: EmbeddedHead, job: str) -> str:
    return _job_field(head, f"{job}/logs", "logs")


def test_logs_and_stop(
    cli_env: list[str], ray_head: EmbeddedHead, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli_env, "submit", "cli-sleep", "--json"]) == 0
    job = json.loads(capsys.readouterr().out)["submission_id"]
    deadline = time.monotonic() + 120
    while _status(ray_head, job) != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
    while "tick 0" not in _logs(ray_head, job) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert main([*cli_env, "logs", job]) == 0
    assert "tick 0" in capsys.readouterr().out
    assert main([*cli_env, "stop", job]) == 0
    assert "stop requested" in capsys.readouterr().out
    while _status(ray_head, job) != "STOPPED" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _status(ray_head, job) == "STOPPED"
    assert main([*cli_env, "stop", job]) == 0
    assert "already finished" in capsys.readouterr().out


def test_unknown_job_fails_cleanly(cli_env: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*cli_env, "logs", "sovtui-nope"]) == 1
    assert "no job 'sovtui-nope'" in capsys.readouterr().err


def test_a_job_deleted_as_it_ends_stays_deleted(
    cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Ray's job manager writes a job deleted before it saw the job's supervisor exit back as
    FAILED about a second later (seen on 2.60): `job delete` right after the end must stick."""
    code = main([*cli_env, "submit", "cli-ok", "--wait", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    submission = json.loads(out)["submission_id"]
    assert main([*cli_env, "job", "delete", submission]) == 0
    assert capsys.readouterr().out.strip() == f"{submission}: deleted"
    time.sleep(3)  # longer than the job manager's checks of the supervisor
    assert main([*cli_env, "job", "list", "--json"]) == 0
    listed = [job["submission_id"] for job in json.loads(capsys.readouterr().out)]
    assert submission not in listed
