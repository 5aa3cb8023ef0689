"""What of an embedded head runs and listens, read from /proc (Ray renames its processes, and an
orphan is reparented away from the tree it was started in, so processes are found by the head's
private directory in their environment)."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from sovtui.cluster import head_guard


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie nobody reaps (PID 1 in a container) counts as gone."""
    state = _state(pid)
    return state is not None and state not in ("Z", "X")


def start_guard(
    head: list[str] | None = None,
) -> tuple[subprocess.Popen[bytes], int, int]:
    """sovtui's head guard over `head` (default `sleep 300`) standing in for Ray, once it has
    started it: (guard, our end of its lifeline, the guarded process's pid). Closing the
    lifeline ends both."""
    watch, lifeline = os.pipe()
    guard = subprocess.Popen(
        [sys.executable, "-I", head_guard.__file__, str(watch), "--", *(head or ["sleep", "300"])],
        pass_fds=(watch,),
        start_new_session=True,
    )
    os.close(watch)
    children_file = Path(f"/proc/{guard.pid}/task/{guard.pid}/children")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            children = children_file.read_text().split()
        except OSError:
            children = []
        if children:
            return guard, lifeline, int(children[0])
        time.sleep(0.05)
    raise AssertionError(f"the head guard (pid {guard.pid}) started nothing within 10 s")


def command_name(pid: int) -> str:
    """The process's command name (/proc/PID/comm), or "" once it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def processes_of(head_dir: Path) -> set[int]:
    """Live processes whose environment names the head's directory (its token path is there)."""
    marker = str(head_dir).encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ and alive(int(entry.name)):
            found.add(int(entry.name))
    return found


def wait_gone(pids: Iterable[int], head_dir: Path, timeout: float) -> set[int]:
    """Wait until none of `pids` and no process of the head runs; returns what still does."""
    watched = set(pids)
    deadline = time.monotonic() + timeout
    while True:
        left = {pid for pid in watched if alive(pid)} | processes_of(head_dir)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc/net/tcp6: four 32-bit words, each in host (little-endian) order
    words = struct.unpack("<4I", raw)
    return socket.inet_ntop(socket.AF_INET6, struct.pack(">4I", *words))


LISTEN = "0A"


def listening_sockets(pids: Iterable[int]) -> set[tuple[str, int, int]]:
    """(address, port, pid) of every TCP socket in LISTEN state owned by one of `pids`."""
    owner = {inode: pid for pid in pids for inode in _socket_inodes(pid)}
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != LISTEN or inode not in owner:
                continue
            hex_address, hex_port = local.split(":")
            found.add((_address(hex_address), int(hex_port, 16), owner[inode]))
    return found


def is_loopback(address: str) -> bool:
    return address in ("127.0.0.1", "::1", "::ffff:127.0.0.1") or address.startswith("127.")


def process_tree(root: int) -> set[int]:
    """`root` and its live descendants now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, queue = set(), [root]
    while queue:
        pid = queue.pop()
        if alive(pid):
            found.add(pid)
        queue.extend(children.get(pid, ()))
    return found
