"""An embedded head on a shared machine: nothing for another user to read, replace or reach.

Against the session's real head (`ray_head`, started the way sovtui starts its embedded one).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest

from sovtui.cluster.embedded_head import EmbeddedHead
from sovtui.cluster.private_dir import base_path
from tests.support.head_processes import (
    is_loopback,
    listening_sockets,
    process_tree,
    processes_of,
)
from tests.support.must_run import need_real
from tests.support.ray_cli import ray_cli_submit

pytestmark = pytest.mark.ray

# Ports of an embedded head that Ray cannot bind to 127.0.0.1 (see the README's table). None
# since the head runs with RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0; keep the README in step.
ALLOWED_NON_LOOPBACK: set[str] = set()


def head_pids(head: EmbeddedHead) -> set[int]:
    return process_tree(head.pid) | processes_of(head.temp_dir)


def test_every_port_of_the_head_listens_on_loopback_only(ray_head: EmbeddedHead) -> None:
    sockets = listening_sockets(head_pids(ray_head))
    ports = {port for _, port, _ in sockets}
    dashboard_port = int(ray_head.dashboard_url.rsplit(":", 1)[1])
    gcs_port = int(ray_head.gcs_address.rsplit(":", 1)[1])
    # GCS, raylet (2), dashboard, agent (http, grpc), client server, runtime env agent, metrics
    assert {dashboard_port, gcs_port} <= ports and len(ports) >= 8, sorted(sockets)
    exposed = {f"{address}:{port}" for address, port, _ in sockets if not is_loopback(address)}
    assert exposed == ALLOWED_NON_LOOPBACK, sorted(sockets)


def test_head_files_live_in_a_private_directory(ray_head: EmbeddedHead) -> None:
    base = base_path()
    info = os.lstat(base)
    assert stat.S_ISDIR(info.st_mode) and not stat.S_ISLNK(info.st_mode)
    assert info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) == 0o700
    assert ray_head.temp_dir.parent == base
    assert ray_head.log_path.is_relative_to(ray_head.temp_dir)
    assert ray_head.token_path is not None
    assert stat.S_IMODE(os.stat(ray_head.token_path).st_mode) == 0o600
    sockets = list(ray_head.temp_dir.glob("session_latest/sockets/*"))
    assert sockets and all(len(str(path)) <= 107 for path in sockets)


def as_nobody(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "nobody", "--", *command], capture_output=True, text=True, timeout=30
    )


def test_another_user_can_neither_read_nor_write_the_head(ray_head: EmbeddedHead) -> None:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        need_real("acting as another user needs root and runuser")
    session = ray_head.temp_dir / "session_latest"
    logs = sorted((session / "logs").glob("*.log"))
    assert logs
    # Ray makes these world-writable and its logs world-readable; the 0700 dir above stops it.
    assert stat.S_IMODE(os.stat(session).st_mode) == 0o777
    resources = session / "runtime_resources"
    attempts = {
        "read a log": ("cat", str(logs[0])),
        "read the start log": ("cat", str(ray_head.log_path)),
        "read the token": ("cat", str(ray_head.token_path)),
        "list the head dir": ("ls", str(ray_head.temp_dir)),
        "plant a package": ("mkdir", "-p", str(resources / "working_dir_files" / "_ray_pkg_x")),
        "write a file": ("touch", str(session / "planted")),
    }
    for what, command in attempts.items():
        result = as_nobody(*command)
        assert result.returncode != 0, f"another user could {what}: {result.stdout}"
        assert "Permission denied" in result.stderr, (what, result.stderr)
    assert not (session / "planted").exists()


def test_jobs_do_not_get_the_token_in_their_environment(ray_head: EmbeddedHead) -> None:
    # A job that logs its environment, as many do: the token must not be in that log.
    # Its driver still joins the cluster: the token reaches it by path.
    code = (
        "import os, ray; print(dict(os.environ)); ray.init(); "
        "print('ENV-PRINTED', ray.cluster_resources()['CPU'])"
    )
    result, _ = ray_cli_submit(ray_head, code)
    assert "ENV-PRINTED" in result.stdout
    assert ray_head.token not in result.stdout
    assert "'RAY_AUTH_TOKEN'" not in result.stdout
    assert str(ray_head.token_path) in result.stdout  # how the job's driver reaches the GCS
