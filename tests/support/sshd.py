"""A private sshd on 127.0.0.1 for tunnel tests and figures: its own port, host and user keys,
authorized_keys and known_hosts in a temp dir, and an ssh config naming two hosts:

- `sovtui-test`: the authorized key (tunnels work);
- `sovtui-badkey`: a key the server does not know (ssh says "Permission denied (publickey)").

The daemon is ours: started with `-D` (no fork, its pid is ours), stopped by that pid.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sovtui.cluster.ports import free_port

SSHD = "/usr/sbin/sshd"
GOOD_HOST = "sovtui-test"
BAD_KEY_HOST = "sovtui-badkey"


class SshdMissing(Exception):
    """sshd or ssh-keygen is not installed (apt-get install openssh-server openssh-client)."""


def missing() -> str | None:
    """Why a private sshd cannot run here, or None."""
    for program in (SSHD, shutil.which("ssh-keygen"), shutil.which("ssh")):
        if program is None or not os.access(program, os.X_OK):
            return "openssh-server / openssh-client are not installed"
    return None


def _keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sovtui-test", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path.with_suffix(".pub").read_text(encoding="utf-8").strip()


def _answers_ssh(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            return sock.recv(8).startswith(b"SSH-")
    except OSError:
        return False


class PrivateSshd:
    def __init__(self) -> None:
        reason = missing()
        if reason:
            raise SshdMissing(reason)
        self.dir = Path(tempfile.mkdtemp(prefix="sovtui-sshd-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.config_file = self.dir / "ssh_config"
        self.log = self.dir / "sshd.log"

    def start(self, timeout: float = 15.0) -> PrivateSshd:
        d = self.dir
        host_public = _keygen(d / "host_key")
        user_public = _keygen(d / "user_key")
        _keygen(d / "bad_key")
        (d / "authorized_keys").write_text(user_public + "\n", encoding="utf-8")
        host_type, host_key = host_public.split()[:2]
        (d / "known_hosts").write_text(
            f"[127.0.0.1]:{self.port} {host_type} {host_key}\n", encoding="utf-8"
        )
        (d / "sshd_config").write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {d / 'host_key'}",
                    f"AuthorizedKeysFile {d / 'authorized_keys'}",
                    f"PidFile {d / 'sshd.pid'}",
                    "StrictModes no",  # the keys live under /tmp
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "PermitRootLogin prohibit-password",
                    "AllowTcpForwarding yes",
                    "MaxStartups 100",
                    "MaxSessions 100",
                    "LogLevel VERBOSE",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        user = getpass.getuser()
        host_lines = [
            "  HostName 127.0.0.1",
            f"  Port {self.port}",
            f"  User {user}",
            "  IdentitiesOnly yes",
            f"  UserKnownHostsFile {d / 'known_hosts'}",
            "  StrictHostKeyChecking yes",
            "  ControlMaster no",
        ]
        self.config_file.write_text(
            "\n".join(
                [
                    f"Host {GOOD_HOST}",
                    *host_lines,
                    f"  IdentityFile {d / 'user_key'}",
                    f"Host {BAD_KEY_HOST}",
                    *host_lines,
                    f"  IdentityFile {d / 'bad_key'}",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
        self.process = subprocess.Popen(
            [SSHD, "-D", "-f", str(d / "sshd_config"), "-E", str(self.log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not _answers_ssh(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log.read_text(errors="replace") if self.log.exists() else ""
                self.stop()
                raise RuntimeError(f"the private sshd did not start: {log[-800:]}")
            time.sleep(0.02)  # polling a condition: sshd binds within a few ms
        return self

    def env(self) -> dict[str, str]:
        """What a sovtui subprocess needs to use this sshd: its ssh config, no agent."""
        env = dict(os.environ, SOVTUI_SSH__CONFIG_FILE=str(self.config_file))
        env.pop("SSH_AUTH_SOCK", None)
        return env

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.dir)
