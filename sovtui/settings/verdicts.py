"""Validation verdicts, remembered by a digest of the exact inputs they were computed from.

Validating settings and themes with pydantic means importing pydantic (and YAML) first: about
80 ms, most of a start-up's own cost. Validation is a pure function of the source text and
the schema, so its result is kept under a key that is a BLAKE2 digest of both: the inputs
themselves and the schema's files and packages by path, size and mtime, as .pyc files are.
The key is a digest, never the inputs: a big config must not grow the cache by its own size
on every edit (BLAKE2 is built into CPython, so hashing costs no OpenSSL import). A changed
file, variable, flag, schema module, sovtui or pydantic install makes another key and is
validated afresh. The file stays small: at most ENTRY_LIMIT entries and MAX_FILE_BYTES,
oldest dropped first. Settings keep only successes; a theme keeps its verdict with the reason:
either way a bad input is reported on every run. Best effort: an unreadable or unwritable
cache means "validate".
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sovtui import __version__
from sovtui.support import locations

try:  # CPython's own BLAKE2: importing hashlib would load OpenSSL too (~9 ms)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

ENTRY_LIMIT = 32  # distinct configurations remembered per cache (a few per user in practice)
MAX_FILE_BYTES = 256 * 1024  # a bigger cache file is pruned when written, ignored when read


def _file_fingerprint(path: str) -> str:
    """Which version of a file this is (a rewrite by rename changes the inode too)."""
    stat = os.stat(path)
    return f"{path}:{stat.st_mtime_ns}:{stat.st_size}:{stat.st_ino}"


def _install_fingerprint(package: str) -> str:
    """Where a package is installed and when it changed, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return f"{package}:absent"
    return _file_fingerprint(spec.origin)


class Verdicts:
    """One JSON file of key -> validated value (the verdict), newest last."""

    def __init__(
        self, name: str, schema_files: Sequence[Path], packages: Sequence[str] = ("pydantic",)
    ) -> None:
        self._name = name
        self._schema_files = schema_files
        self._packages = packages
        self._fingerprint: list[str] | None = None
        self._loaded: tuple[str, dict[str, Any]] | None = None

    @property
    def path(self) -> Path:
        return locations.cache_dir() / f"validated-{self._name}.json"

    def _schema_fingerprint(self) -> list[str]:
        if self._fingerprint is None:
            self._fingerprint = [
                __version__,
                *(_file_fingerprint(str(path)) for path in self._schema_files),
                *(_install_fingerprint(package) for package in self._packages),
            ]
        return self._fingerprint

    def key(self, *parts: object) -> str:
        """A fixed-size digest of the schema and the inputs (never the inputs themselves)."""
        text = json.dumps([self._schema_fingerprint(), parts], sort_keys=True, default=repr)
        return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()

    def _load(self) -> dict[str, Any]:
        """The entries, read again whenever the file changed (another process wrote it)."""
        path = self.path
        try:
            version = _file_fingerprint(str(path))
        except OSError:
            version = f"{path}:absent"
        if self._loaded is None or self._loaded[0] != version:
            self._loaded = (version, _read_entries(path))
        return self._loaded[1]

    def get(self, key: str) -> Any | None:
        return self._load().get(key)

    def put(self, key: str, value: Any) -> None:
        entries = self._load()
        entries.pop(key, None)
        entries[key] = value
        text = _pruned_text(entries)
        import tempfile  # only when something changed

        path = self.path
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write-then-rename: a concurrent reader sees the old file or the new, never half.
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".validated-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(temp, path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(temp)


def _read_entries(path: Path) -> dict[str, Any]:
    """The cache file's entries; nothing when it is missing, broken or oversized."""
    with contextlib.suppress(OSError, ValueError):
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) <= MAX_FILE_BYTES:
            loaded = json.loads(data)
            if isinstance(loaded, dict):
                return loaded
    return {}


def _pruned_text(entries: dict[str, Any]) -> str:
    """The JSON to write, the oldest entries dropped (in place) until both limits hold."""
    while len(entries) > ENTRY_LIMIT:
        del entries[next(iter(entries))]
    text = json.dumps(entries)
    while len(text) > MAX_FILE_BYTES and len(entries) > 1:
        del entries[next(iter(entries))]
        text = json.dumps(entries)
    return text
