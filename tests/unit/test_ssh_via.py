"""`--via` parsing, the ssh command lines, and what ssh's stderr is turned into (issue 11)."""

from __future__ import annotations

import shlex

import pytest

from sovtui.cli.main import main
from sovtui.cluster.ssh.diagnose import explain
from sovtui.cluster.ssh.tunnel import SshTunnel, TunnelError, http_probe
from sovtui.cluster.ssh.via import (
    Forward,
    Via,
    ViaError,
    manual_command,
    master_command,
    parse_via,
    remote_endpoint,
)
from sovtui.ray_api.errors import DashboardUnreachable
from sovtui.settings.model import SshSettings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("login1", Via("login1")),
        ("me@login1.example.org", Via("login1.example.org", "me")),
        ("me@10.0.0.5:2222", Via("10.0.0.5", "me", 2222)),
        ("cluster_alias:22", Via("cluster_alias", None, 22)),
    ],
)
def test_parse_via(text: str, expected: Via) -> None:
    assert parse_via(text) == expected
    assert str(parse_via(text)) == text


@pytest.mark.parametrize(
    "text", ["-oProxyCommand=touch /tmp/x", "host name", "me@", "host:0", "host:70000", "a;b", ""]
)
def test_bad_via_is_refused(text: str) -> None:
    with pytest.raises(ViaError):
        parse_via(text)


def test_remote_endpoint() -> None:
    assert remote_endpoint("http://10.0.0.5:8265") == ("10.0.0.5", 8265, "")
    assert remote_endpoint("127.0.0.1:8265/") == ("127.0.0.1", 8265, "")
    assert remote_endpoint("http://head/ray") == ("head", 80, "/ray")
    with pytest.raises(ViaError, match="only http://"):
        remote_endpoint("https://head:8443")


def test_master_command_keeps_the_child_and_never_prompts() -> None:
    settings = SshSettings(config_file="/etc/site/ssh_config", connect_timeout=7)
    via = Via("login1", "me", 2222)
    command = master_command(settings, via, "/tmp/s/ctl", [Forward(4000, "10.0.0.5", 8265)])
    assert command[:5] == ["ssh", "-F", "/etc/site/ssh_config", "-p", "2222"]
    assert command[-2:] == ["--", "me@login1"]  # nothing after -- is read as an option
    joined = " ".join(command)
    for part in (
        "-N -M -S /tmp/s/ctl",
        "BatchMode=yes",
        "ExitOnForwardFailure=yes",
        "ServerAliveInterval=15",
        "ConnectTimeout=7",
        "-L 127.0.0.1:4000:10.0.0.5:8265",
    ):
        assert part in joined
    assert "-f" not in command  # the ssh child stays ours


def test_manual_command_is_a_plain_ssh_l_line() -> None:
    line = manual_command(SshSettings(), Via("login1"), [Forward(4000, "127.0.0.1", 8265)])
    assert shlex.split(line) == [
        "ssh",
        "-N",
        "-o",
        "ExitOnForwardFailure=yes",
        "-o",
        "ServerAliveInterval=15",
        "-L",
        "127.0.0.1:4000:127.0.0.1:8265",
        "login1",
    ]


VIA = Via("login1", "me")


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (
            "bind [127.0.0.1]:4000: Address already in use\n"
            "channel_setup_fwd_listener_tcpip: cannot listen to port: 4000\n"
            "Could not request local forwarding.\n",
            "local port 127.0.0.1:4000 is busy",
        ),
        ("me@login1: Permission denied (publickey).\n", "ssh to me@login1 refused the key"),
        ("Host key verification failed.\n", "stopped at the host key"),
        ("ssh: Could not resolve hostname login1: Name or service not known\n", "cannot resolve"),
        ("ssh: connect to host login1 port 22: Connection refused\n", "connection refused"),
        ("ssh: connect to host login1 port 22: Connection timed out\n", "timed out"),
        ("Connection to login1 closed by remote host.\n", "ssh to me@login1 ended (exit 255)"),
    ],
)
def test_explain_is_one_line(stderr: str, expected: str) -> None:
    line = explain(stderr, VIA, 255)
    assert expected in line
    assert "\n" not in line


def test_explain_a_signal() -> None:
    assert explain("", VIA, -9) == "ssh to me@login1 ended (signal 9)"


def test_http_probe_tells_nothing_listening() -> None:
    from sovtui.cluster.ports import free_port

    assert http_probe(free_port(), timeout=0.5) == "refused"


def test_path_check_only_speaks_for_its_own_forwards() -> None:
    tunnel = SshTunnel(Via("login1"), "127.0.0.1", 8265, local_port=4000)
    assert tunnel.path_check("http://127.0.0.1:5000", None) is None
    starting = tunnel.path_check("http://127.0.0.1:4000", None)
    assert isinstance(starting, TunnelError)
    assert isinstance(starting, DashboardUnreachable)  # the poller backs off as for any outage
    assert starting.state == "tunnel down"


def test_bad_via_on_the_command_line_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["status", "--via=-oProxyCommand=x"])
    assert exited.value.code == 2
    assert "expected [user@]host[:port]" in capsys.readouterr().err


def test_context_and_address_together_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--context", "lab", "--address", "http://127.0.0.1:1"]) == 2
    assert "give one" in capsys.readouterr().err
