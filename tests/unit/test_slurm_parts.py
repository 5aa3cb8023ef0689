"""The Slurm backend's pure parts: squeue parsing, the batch script, records, warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sovtui.cluster.slurm import notes, queue, records, script
from sovtui.cluster.slurm.records import ClusterRecord, SlurmCluster
from sovtui.cluster.slurm.script import RequestError, SlurmRequest

SQUEUE = (
    "12|sovtui-ray|RUNNING|1:02|8:58|10:00|2026-11-30T06:00:00|vm|vm|vm|1\n"
    "13|odd|name|PENDING|0:00|1-00:00:00|1-00:00:00|N/A||n/a|(Resources)|2\n"
    "14|done|TIMEOUT|1:00|INVALID|1:00|2026-11-30T05:00:00|vm|vm|vm|1\n"
    "15|fresh|PENDING|0:00|5:00|5:00|N/A||n/a|(None)|1\n"
    "garbage line\n"
)


def test_squeue_lines_parse_with_pipes_in_names() -> None:
    jobs = queue.parse_squeue(SQUEUE)
    assert [job.job_id for job in jobs] == ["12", "13", "14", "15"]
    running, pending, ended, fresh = jobs
    assert running.state == "RUNNING" and running.batch_host == "vm" and running.reason is None
    assert running.time_left_s == 8 * 60 + 58 and running.node_count == 1
    assert pending.name == "odd|name" and pending.reason == "Resources" and pending.nodes == ""
    assert pending.time_left_s == 86400 and pending.end_time is None
    assert ended.time_left_s is None and not ended.active and running.active
    assert fresh.reason is None  # "(None)": the scheduler has not looked yet


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5:00", 300), ("1:02:03", 3723), ("2-01:00:00", 176400), ("INVALID", None), ("", None)],
)
def test_durations(text: str, seconds: int | None) -> None:
    assert queue.parse_duration(text) == seconds


def test_format_duration() -> None:
    assert queue.format_duration(59) == "0:59"
    assert queue.format_duration(3723) == "1:02:03"
    assert queue.format_duration(90061) == "1-1:01:01"
    assert queue.format_duration(-5) == "0:00"


def _request(**changes: object) -> SlurmRequest:
    values: dict[str, object] = {"name": "ray", "python": sys.executable, "time": "0:10:00"}
    values.update(changes)
    return SlurmRequest(**values)  # type: ignore[arg-type]


def test_script_directives_and_safety(tmp_path: Path) -> None:
    text = script.render(
        _request(
            nodes=3,
            cpus_per_node=4,
            gpus_per_node=1,
            mem="16G",
            partition="gpu",
            account="proj-1",
            warn_before_s=120,
        ),
        tmp_path,
    )
    for line in (
        "#SBATCH --job-name=sovtui-ray",
        "#SBATCH --nodes=3",
        "#SBATCH --ntasks-per-node=1",
        "#SBATCH --time=0:10:00",
        "#SBATCH --signal=B:USR1@120",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --gpus-per-task=1",
        "#SBATCH --mem=16G",
        "#SBATCH --partition=gpu",
        "#SBATCH --account=proj-1",
        f"#SBATCH --output={tmp_path}/slurm-%j.out",
        "export RAY_AUTH_MODE=token",
        "unset RAY_AUTH_TOKEN RAY_ADDRESS",
        "export RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S=0",
    ):
        assert line in text
    assert 'export RAY_AUTH_TOKEN_PATH="$STATE_DIR/token"' in text
    assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0


def test_script_keeps_the_python_path(tmp_path: Path) -> None:
    text = script.render(_request(pythonpath="/opt/my lib:/x"), tmp_path)
    assert "export PYTHONPATH='/opt/my lib:/x'" in text
    assert "PYTHONPATH" not in script.render(_request(), tmp_path)


def test_script_without_gpus_asks_for_none(tmp_path: Path) -> None:
    directives = script.render(_request(), tmp_path).split("set -u")[0]
    assert "--gpus-per-task" not in directives and "--cpus-per-task" not in directives


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "Bad Name"},
        {"time": "10;rm -rf /"},
        {"mem": "16 G"},
        {"partition": "a b"},
        {"account": "$(id)"},
        {"nodes": 0},
    ],
)
def test_bad_requests_are_refused(tmp_path: Path, changes: dict[str, object]) -> None:
    with pytest.raises(RequestError):
        script.render(_request(**changes), tmp_path)


def test_state_dir_that_would_break_a_directive_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RequestError):
        script.render(_request(), tmp_path / "with space")


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records saved here stay here: a cluster "ray" left in the session's state dir made a
    later Clusters test find its name taken."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def _record(name: str = "ray", job_id: str = "12") -> ClusterRecord:
    return ClusterRecord(name=name, job_id=job_id, submitted_at=1.0, token_path="/t")


def test_stale_head_state_is_ignored() -> None:
    record = _record()
    records.save(record)
    state = {"job_id": "11", "dashboard_url": "http://old:1", "session_name": "s_old"}
    (records.cluster_dir("ray") / records.STATE_FILE).write_text(json.dumps(state))
    assert records.head_state(record) is None
    state.update(job_id="12", dashboard_url="http://new:2")
    (records.cluster_dir("ray") / records.STATE_FILE).write_text(json.dumps(state))
    head = records.head_state(record)
    assert head is not None and head.dashboard_url == "http://new:2"


def test_cluster_dir_is_private_and_records_hold_no_token() -> None:
    token = records.new_token("secretive")
    records.save(_record("secretive", "7"))
    folder = records.cluster_dir("secretive")
    assert folder.stat().st_mode & 0o777 == 0o700
    assert token.stat().st_mode & 0o777 == 0o600
    assert token.read_text().strip() not in (folder / records.RECORD_FILE).read_text()


def test_list_clusters_live_and_offline() -> None:
    records.save(_record("live", "12"))
    records.save(_record("gone", "99"))
    (records.cluster_dir("live") / records.EVENTS_FILE).write_text(
        "11 100 usr1\n12 200 usr1\n12 300 head-exit 1\n"
    )
    jobs = queue.parse_squeue(SQUEUE)
    by_name = {cluster.name: cluster for cluster in records.list_clusters(jobs)}
    assert by_name["live"].state == "RUNNING" and by_name["live"].signalled_at == 200
    assert by_name["live"].head_exit == 1 and by_name["live"].nodes == "vm"
    assert by_name["gone"].state == "ENDED"  # not in the queue any more
    offline = {cluster.name: cluster for cluster in records.list_clusters()}
    assert offline["live"].state == "RUNNING"  # remembered from the live look


def _cluster(**changes: object) -> SlurmCluster:
    values: dict[str, object] = {
        "name": "ray",
        "job_id": "1",
        "state": "RUNNING",
        "dashboard_url": "http://h:1",
        "token_path": "/t",
        "end_time": 1000.0,
        "state_dir": "/s",
    }
    values.update(changes)
    return SlurmCluster(**values)  # type: ignore[arg-type]


def test_walltime_warnings() -> None:
    assert notes.warnings(_cluster(), now=1000.0 - 301) == []
    assert "time limit in 4:59" in notes.warnings(_cluster(), now=1000.0 - 299)[0]
    signalled = notes.warnings(_cluster(signalled_at=900.0), now=0.0)
    assert any("USR1" in line for line in signalled)
    assert notes.outcome(_cluster()) is None
    assert "TIMEOUT" in (notes.outcome(_cluster(state="TIMEOUT")) or "")
    assert "status 1" in (notes.outcome(_cluster(state="FAILED", head_exit=1)) or "")
