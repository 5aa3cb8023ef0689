"""Recording files: where they live, who may write one, and what a failure means.

Each cluster has its own file, `$XDG_STATE_HOME/sovtui/history/KEY.sqlite` (WAL mode), so two
sovtui processes watching different clusters both record. One writer per file: the writer holds
an exclusive `flock` on `KEY.lock` (which names its pid) for as long as it records; a second
sovtui on the same cluster finds it held and says "another sovtui (pid N) is recording this
cluster" instead of writing. Readers never take the lock (a shared probe tells `history` that a
recording is live) and open the file read-only.

SQLite failures are classified into the states the dashboard shows: a full disk, a read-only
place, a database locked by something else, a corrupt file (moved aside, never deleted).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sovtui.recorder.schema import SCHEMA_VERSION, NewerSchema, migrate
from sovtui.support import locations

SUFFIX = ".sqlite"
_SIDE_FILES = ("-wal", "-shm")

# SQLite primary result codes (the low byte of sqlite_errorcode).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def history_dir() -> Path:
    return locations.state_dir() / "history"


def db_path(key: str, directory: Path | None = None) -> Path:
    return (directory or history_dir()) / f"{key}{SUFFIX}"


def lock_path(db: Path) -> Path:
    return db.with_suffix(".lock")


def recording_files(directory: Path | None = None) -> list[Path]:
    folder = directory or history_dir()
    try:
        return sorted(p for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file())
    except OSError:
        return []


def files_of(db: Path) -> list[Path]:
    """The database with its WAL and shared-memory files and its lock file."""
    return [db, *(Path(f"{db}{side}") for side in _SIDE_FILES), lock_path(db)]


def size_on_disk(db: Path) -> int:
    total = 0
    for path in files_of(db):
        with contextlib.suppress(OSError):
            total += path.stat().st_blocks * 512
    return total


@dataclass(frozen=True)
class Problem:
    """Why recording stopped, as one line; `corrupt` means the file should be moved aside."""

    kind: str  # "disk full", "read-only", "locked", "corrupt", "I/O error", "newer schema"
    message: str

    @property
    def corrupt(self) -> bool:
        return self.kind == "corrupt"


def classify(error: BaseException, db: Path) -> Problem:
    """A sqlite3 or OS error as the state the dashboard shows."""
    if isinstance(error, OSError):
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return Problem("disk full", f"no space left for {db}")
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return Problem("read-only", f"cannot write {db.parent}: {error.strerror}")
        return Problem("I/O error", f"{db}: {error.strerror or error}")
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    text = str(error)
    if code == _FULL or "database or disk is full" in text:
        return Problem("disk full", f"no space left for {db}")
    if code in (_READONLY, _CANTOPEN) or "readonly" in text:
        return Problem("read-only", f"cannot write {db}: {text}")
    if code in (_BUSY, _LOCKED):
        return Problem("locked", f"{db} is locked by another program: {text}")
    if code in (_CORRUPT, _NOTADB) or "malformed" in text or "not a database" in text:
        return Problem("corrupt", f"{db} is corrupt: {text}")
    if code == _IOERR:
        return Problem("I/O error", f"{db}: {text}")
    return Problem("error", f"{db}: {text}")


def move_aside(db: Path, now: float | None = None) -> Path:
    """Rename a corrupt file (and its WAL) out of the way; nothing is deleted."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    target = db.with_name(f"{db.name}.corrupt-{stamp}")
    for side in ("", *_SIDE_FILES):
        source = Path(f"{db}{side}")
        if source.exists():
            os.replace(source, Path(f"{target}{side}"))
    return target


class HeldElsewhere(Exception):
    def __init__(self, pid: str) -> None:
        self.pid = pid
        super().__init__(f"another sovtui (pid {pid or '?'}) is recording this cluster")


class WriterLock:
    """An exclusive flock on KEY.lock; released by close() or when the process dies."""

    def __init__(self, db: Path) -> None:
        self.path = lock_path(db)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise HeldElsewhere(holder) from None
        except OSError:
            os.close(fd)
            raise
        self._fd: int | None = fd
        with contextlib.suppress(OSError):  # the pid is a courtesy, the lock is the flock
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the flock
            self._fd = None


def live_writer(db: Path) -> str | None:
    """The pid recording this file now, or None when nobody is."""
    try:
        fd = os.open(lock_path(db), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def open_writer(db: Path) -> sqlite3.Connection:
    """A connection that records: WAL, NORMAL sync (a crash loses at most the last polls,
    never the file), incremental vacuum so pruning gives space back. The caller holds the lock.
    """
    db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    connection = sqlite3.connect(db, isolation_level=None, check_same_thread=False, timeout=0.5)
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:  # before anything changes the file
            raise NewerSchema(f"schema version {version}, this sovtui knows {SCHEMA_VERSION}")
        if version == 0:
            connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"cannot use WAL here (journal mode {mode})")
        connection.execute("PRAGMA synchronous = NORMAL")
        with contextlib.suppress(OSError):
            os.chmod(db, 0o600)
        migrate(connection)
    except BaseException:
        if connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
        connection.close()
        raise
    return connection


def open_reader(db: Path) -> sqlite3.Connection:
    """Read-only, even where the directory cannot be written (then the file is taken as is)."""
    uri = f"file:{db}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        # A WAL file needs its -shm to be writable; in a read-only place read it immutable.
        connection = sqlite3.connect(f"{uri}&immutable=1", uri=True, check_same_thread=False)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return connection
