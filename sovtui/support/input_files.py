"""Read the small text files a user hands sovtui: settings, themes, presets, Compose files.

Every such file is looked at before it is read, so that a path which is something else (a
folder, a dangling or looping symlink, a FIFO, a device) or a file far too big for what it is
gets one clear sentence instead of being skipped silently, blocking on a FIFO, or costing a
minute and a gigabyte of YAML parsing. The size cap is checked from the inode before one byte is
read, and again while reading (a file can grow in between).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_INPUT_BYTES = 1 << 20  # 1 MiB: the biggest shipped input is a few KiB


class InputFileError(Exception):
    """A path cannot be used as an input file; `reason` says why, without the path."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def describe_size(size: int) -> str:
    """1234567 -> '1.2 MiB (1234567 bytes)'."""
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MiB ({size} bytes)"
    if size >= 1 << 10:
        return f"{size / (1 << 10):.1f} KiB ({size} bytes)"
    return f"{size} bytes"


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    if stat.S_ISREG(mode):
        return None
    return next((word for test, word in kinds if test(mode)), "not a regular file")


def _too_big(size: int, limit: int) -> str:
    return f"the file is {describe_size(size)}; the limit is {describe_size(limit)}"


def _missing_or_dangling(path: Path) -> str:
    """Why stat() found nothing: a symlink pointing nowhere, or nothing at all."""
    try:
        link = os.lstat(path)
    except OSError:
        return "no such file"
    if stat.S_ISLNK(link.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return f"a dangling symlink (its target {target} does not exist)"
    return "no such file"


def problem(path: Path, limit: int = MAX_INPUT_BYTES) -> str | None:
    """Why `path` cannot be read as an input file, or None when it can. Never opens it."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return _missing_or_dangling(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop (too many levels of symbolic links)"
        return exc.strerror or str(exc)
    kind = _kind(info.st_mode)
    if kind is not None:
        return f"is {kind}, not a regular file"
    if info.st_size > limit:
        return _too_big(info.st_size, limit)
    return None


def exists(path: Path) -> bool:
    """True when anything at all is at `path`, a dangling symlink included."""
    try:
        os.lstat(path)
    except OSError:
        return False
    return True


def read_text(path: Path, limit: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; InputFileError says why not."""
    found = problem(path, limit)
    if found is not None:
        raise InputFileError(path, found)
    try:
        # O_NONBLOCK: should the path have become a FIFO since the stat, opening does not wait.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from None
    with os.fdopen(descriptor, "rb") as handle:
        kind = _kind(os.fstat(descriptor).st_mode)
        if kind is not None:
            raise InputFileError(path, f"is {kind}, not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputFileError(path, f"the file grew past the limit of {describe_size(limit)}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not UTF-8 text (byte {exc.start})") from None
