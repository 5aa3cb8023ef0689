"""SSH tunnels and contexts, for real: a private sshd on 127.0.0.1, a real Ray head behind it.

Through the tunnel the head's dashboard is reached; killing ssh shows the tunnel down and it
heals by itself; a busy local port and a refused key are one clear line each; ssh ends with
sovtui (even a SIGKILLed one); `sovtui contexts` lists saved, Compose and kept contexts and
`--context` selects one (issue 11, parts 2 and 3).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sovtui.cluster.compose import store
from sovtui.cluster.embedded_head import EmbeddedHead
from sovtui.cluster.ports import free_port
from sovtui.cluster.ssh.tunnel import DOWN, UP, TunnelError, TunnelState, tunnel_to
from sovtui.ray_api.auth import explicit_token
from sovtui.ray_api.client import DashboardClient
from sovtui.settings.model import SshSettings
from tests.support.must_run import need_real
from tests.support.sovtui_cli import sovtui
from tests.support.sshd import BAD_KEY_HOST, GOOD_HOST, PrivateSshd, SshdMissing

pytestmark = [pytest.mark.ray, pytest.mark.sshd]


@pytest.fixture(scope="module")
def sshd() -> Iterator[PrivateSshd]:
    try:
        server = PrivateSshd().start()
    except SshdMissing as error:
        need_real(f"{error} (apt-get install openssh-server openssh-client)")
        raise
    yield server
    server.stop()


def head_env(sshd: PrivateSshd, head: EmbeddedHead, **extra: str) -> dict[str, str]:
    env = sshd.env()
    env.update(RAY_AUTH_TOKEN=head.token, **extra)
    # Nothing answers at the default address: only the tunnel can lead to the head.
    env["SOVTUI_DEFAULT_ADDRESS"] = f"http://127.0.0.1:{free_port()}"
    return env


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until `condition` held; fails after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.01)
    return time.monotonic() - start


def process_gone(pid: int) -> bool:
    """The pid has ended (or is a zombie nobody reaped yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def test_status_reaches_the_head_through_the_tunnel(
    sshd: PrivateSshd, ray_head: EmbeddedHead
) -> None:
    env = head_env(sshd, ray_head)
    done = sovtui(
        "status", "--via", GOOD_HOST, "--address", ray_head.dashboard_url, "--json", env=env
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert any(node["is_head"] for node in document["nodes"])
    tunnel = document["tunnel"]
    assert tunnel["via"] == GOOD_HOST
    assert tunnel["state"] == UP
    assert document["address"] == tunnel["local"]
    assert document["address"] != ray_head.dashboard_url  # really through the forward
    assert tunnel["remote"] == ray_head.dashboard_url.removeprefix("http://")
    assert tunnel["manual_command"].startswith("ssh -F ")
    assert f"-L {tunnel['local'].removeprefix('http://')}:" in tunnel["manual_command"]
    # The ssh child ended with sovtui.
    assert process_gone(tunnel["ssh_pid"])

    text = sovtui("status", "--via", GOOD_HOST, "--address", ray_head.dashboard_url, env=env)
    assert text.returncode == 0, text.stderr
    assert f"via {GOOD_HOST}" in text.stdout.splitlines()[0]
    assert "the same by hand: ssh " in text.stderr  # the equivalent `ssh -L` line


def test_killed_ssh_shows_the_tunnel_down_and_heals(
    sshd: PrivateSshd, ray_head: EmbeddedHead
) -> None:
    settings = SshSettings(config_file=str(sshd.config_file))
    os.environ.pop("SSH_AUTH_SOCK", None)
    tunnel, address = tunnel_to(ray_head.dashboard_url, GOOD_HOST, settings)
    seen: list[tuple[TunnelState, str | None]] = []

    def remember(state: TunnelState) -> None:
        problem = tunnel.problem()
        seen.append((state, None if problem is None else f"{problem.state}: {problem}"))

    tunnel.add_listener(remember)
    try:
        first_pid = tunnel.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        # Bounds for a busy CI machine; how fast it heals is a figure of tests/bench/tunnel_figures.
        wait_for(lambda: any(s.state == DOWN for s, _ in seen), 20, "tunnel shown down")
        wait_for(lambda: tunnel.state.up, 20, "tunnel healed")
        down = next(problem for state, problem in seen if state.state == DOWN)
        assert down is not None and down.startswith("tunnel down: ")
        assert "reconnecting" in down
        assert tunnel.state.reconnects == 1
        assert tunnel.pid not in (None, first_pid)
        # The dashboard, with the same local address as before, answers again.
        assert address == tunnel.local_url
        client = DashboardClient(address, explicit_token(ray_head.token, "test"), timeout=10)
        client.path_check = tunnel.path_check

        async def look() -> int:
            try:
                return len((await client.snapshot()).nodes)
            finally:
                await client.aclose()

        import asyncio

        assert asyncio.run(look()) >= 1
    finally:
        tunnel.close()
    assert tunnel.pid is None


def test_a_request_while_the_tunnel_is_down_says_so(
    sshd: PrivateSshd, ray_head: EmbeddedHead
) -> None:
    """What the poller shows: `tunnel down` (not `cannot reach 127.0.0.1:PORT`)."""
    settings = SshSettings(config_file=str(sshd.config_file), max_backoff=30)
    tunnel, address = tunnel_to(ray_head.dashboard_url, GOOD_HOST, settings)
    client = DashboardClient(address, explicit_token(ray_head.token, "test"), timeout=5)
    client.path_check = tunnel.path_check
    try:
        tunnel.close()  # closed: as down as it gets, and nothing heals it

        import asyncio

        async def look() -> None:
            try:
                await client.snapshot()
            finally:
                await client.aclose()

        with pytest.raises(TunnelError) as caught:
            asyncio.run(look())
        assert caught.value.state == "tunnel down"
        assert GOOD_HOST in str(caught.value)
    finally:
        tunnel.close()


def test_busy_local_port_is_one_clear_line(sshd: PrivateSshd, ray_head: EmbeddedHead) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = sovtui(
            "status",
            "--via",
            GOOD_HOST,
            "--address",
            ray_head.dashboard_url,
            "--local-port",
            str(port),
            env=head_env(sshd, ray_head),
        )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"local port 127.0.0.1:{port} is busy" in lines[0]
    assert "--local-port" in lines[0]


def test_refused_key_is_one_clear_line(sshd: PrivateSshd, ray_head: EmbeddedHead) -> None:
    done = sovtui(
        "status",
        "--via",
        BAD_KEY_HOST,
        "--address",
        ray_head.dashboard_url,
        env=head_env(sshd, ray_head),
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"ssh to {BAD_KEY_HOST} refused the key" in lines[0]
    assert "ssh-add" in lines[0] and "BatchMode" in lines[0]


def test_far_end_closed_is_not_taken_for_a_dashboard(sshd: PrivateSshd) -> None:
    """A TCP connect to the forward succeeds; HTTP through it tells the truth."""
    closed = f"http://127.0.0.1:{free_port()}"
    done = sovtui("status", "--via", GOOD_HOST, "--address", closed, env=sshd.env())
    assert done.returncode == 1
    assert f"nothing answers at {closed.removeprefix('http://')} as seen from {GOOD_HOST}" in (
        done.stderr
    )


def test_ssh_ends_when_sovtui_is_killed(sshd: PrivateSshd, tmp_path: Path) -> None:
    """SIGKILL leaves no ssh behind (Linux: ssh runs with a parent-death signal)."""
    script = (
        "import sys\n"
        "from sovtui.cluster.ssh.tunnel import tunnel_to\n"
        "from sovtui.settings.model import SshSettings\n"
        f"t, _ = tunnel_to('http://127.0.0.1:{free_port()}', '{GOOD_HOST}', "
        f"SshSettings(config_file={str(sshd.config_file)!r}))\n"
        "print(t.pid, t.control_path, flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=sshd.env(),
    )
    try:
        assert child.stdout is not None
        pid_text, control_path = child.stdout.readline().split()
        ssh_pid = int(pid_text)
        assert not process_gone(ssh_pid)
        child.kill()
        child.wait(10)
        # SIGTERM reaches ssh at once; a control master closing its channels on two busy cores
        # (CI saw load 16) can take more than a few seconds to exit.
        wait_for(lambda: process_gone(ssh_pid), 20, "ssh stopped after its owner was killed")
        shutil.rmtree(Path(control_path).parent)  # what the killed owner could not remove
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_contexts_list_and_select(
    sshd: PrivateSshd, ray_head: EmbeddedHead, tmp_path: Path
) -> None:
    token_file = tmp_path / "lab.token"
    token_file.write_text(ray_head.token)
    config = tmp_path / "sovtui.yaml"
    config.write_text(
        "contexts:\n"
        f"  lab: {{address: '{ray_head.dashboard_url}', via: {GOOD_HOST}, token_env: LAB_TOKEN}}\n"
        f"  here: {{address: '{ray_head.dashboard_url}', token_path: '{token_file}'}}\n"
        f"  gone: {{address: 'http://127.0.0.1:{free_port()}'}}\n"
    )
    # A Compose project sovtui brought up (its record and token, as `sovtui up` leaves them).
    project = "ctxdemo"
    store.ensure_token(project)
    store.token_path(project).write_text(ray_head.token)
    store.save_record(
        store.ClusterRecord(project, "cpu-ray-cluster.yaml", ray_head.dashboard_url, 1)
    )
    env = sshd.env()
    env["LAB_TOKEN"] = ray_head.token
    env.pop("RAY_AUTH_TOKEN", None)
    try:
        done = sovtui("contexts", "--json", "--config", str(config), env=env)
        assert done.returncode == 0, done.stderr
        listed = {c["name"]: c for c in json.loads(done.stdout)["contexts"]}
        assert {"lab", "here", "gone", f"compose:{project}"} <= set(listed)
        assert listed["lab"]["via"] == GOOD_HOST
        assert listed["lab"]["token_source"] == "$LAB_TOKEN"
        assert listed["lab"]["state"] == "up", listed["lab"]
        assert listed["lab"]["health"].startswith("Ray ")
        assert listed["here"]["state"] == "up"
        assert listed[f"compose:{project}"]["state"] == "up"
        assert listed[f"compose:{project}"]["kind"] == "compose"
        assert listed["gone"]["state"] == "disconnected"
        assert "LAB_TOKEN" not in done.stdout.replace("$LAB_TOKEN", "")
        assert ray_head.token not in done.stdout

        for name, mode in (("lab", "attached"), (f"compose:{project}", "compose")):
            status = sovtui("status", "--context", name, "--config", str(config), "--json", env=env)
            assert status.returncode == 0, status.stderr
            document = json.loads(status.stdout)
            assert document["context"] == name
            assert document["mode"] == mode
            assert any(node["is_head"] for node in document["nodes"])
        lab = json.loads(
            sovtui("status", "--context", "lab", "--config", str(config), "--json", env=env).stdout
        )
        assert lab["tunnel"]["via"] == GOOD_HOST

        unknown = sovtui("status", "--context", "nope", "--config", str(config), env=env)
        assert unknown.returncode == 2
        assert "no such context" in unknown.stderr and "lab" in unknown.stderr
    finally:
        store.forget(project)
