"""A directory only this user can enter, for embedded heads' Ray temp dirs and tokens.

Ray chmods its temp dir and session dirs to 0777 (no sticky bit) and writes logs 0644, so the
head's files are private only if a directory above them is: `/tmp/sovtui-UID`, mode 0700, owned
by us and not a symlink. The path stays short because Ray puts Unix sockets under its temp dir
(107 bytes at most).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

# Ray's longest socket path below a head dir: /session_2026-11-30_05-03-55_961418_4194304/
# sockets/plasma_store (~70 bytes); a Unix socket path holds 107.
MAX_HEAD_DIR_LENGTH = 36
TOKEN_FILE = "auth_token"


class PrivateDirError(Exception):
    """The private directory exists but is not safe to use (not ours, a symlink, not a dir)."""


def base_path() -> Path:
    # Not $TMPDIR: one fixed place, so a later sovtui finds heads kept by an earlier one.
    return Path("/tmp") / f"sovtui-{os.geteuid()}"


def private_base() -> Path:
    """`/tmp/sovtui-UID`, created 0700 or checked to be ours; its mode is made 0700."""
    base = base_path()
    with contextlib.suppress(FileExistsError):
        os.mkdir(base, 0o700)
    info = os.lstat(base)  # lstat: a symlink planted by another user must not be followed
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise PrivateDirError(f"{base} is not a directory (a symlink?); remove it and retry")
    if info.st_uid != os.geteuid():
        raise PrivateDirError(f"{base} belongs to uid {info.st_uid}, not to you; remove it")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(base, 0o700, follow_symlinks=False)  # ours: tighten what a umask loosened
    return base


def new_head_dir() -> Path:
    """A fresh 0700 directory for one head (O_EXCL: nothing planted there can be reused)."""
    path = Path(tempfile.mkdtemp(prefix="h", dir=private_base()))
    if len(str(path)) > MAX_HEAD_DIR_LENGTH:
        raise PrivateDirError(f"{path} is too long for Ray's Unix sockets")
    return path


def write_token(head_dir: Path, token: str) -> Path:
    """The head's token in a new 0600 file; Ray reads it through RAY_AUTH_TOKEN_PATH."""
    path = head_dir / TOKEN_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token)
    return path


def inside_private_base(path: Path) -> bool:
    """Only directories below our own base are ever removed by the reaper."""
    return base_path() in path.parents
