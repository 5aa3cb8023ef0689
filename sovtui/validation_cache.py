"""Remember validation results by the exact inputs they were computed from.

Validating settings and themes with pydantic means importing pydantic (and YAML) first: about
80 ms, most of a start-up's own cost. Validation is a pure function of the source bytes and
the schema, so its result is kept under a digest of both. A changed file, variable, flag,
schema module, sovtui or pydantic install gives another digest and is validated afresh.
Settings keep only successes; a theme keeps its verdict with the reason: either way a bad
input is reported on every run. Best effort: an unreadable or unwritable cache means "validate".
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sovtui import __version__, locations

ENTRY_LIMIT = 32  # distinct configurations remembered per cache (a few per user in practice)


def _install_fingerprint(package: str) -> str:
    """Where a package is installed and when it changed, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return f"{package}:absent"
    stat = os.stat(spec.origin)
    return f"{spec.origin}:{stat.st_mtime_ns}:{stat.st_size}"


class ValidationCache:
    """One JSON file of digest -> validated value, newest last."""

    def __init__(self, name: str, schema_files: Sequence[Path], *extra: str) -> None:
        self._name = name
        self._schema_files = schema_files
        self._extra = extra
        self._fingerprint: bytes | None = None
        self._loaded: tuple[Path, dict[str, Any]] | None = None

    @property
    def path(self) -> Path:
        return locations.cache_dir() / f"validated-{self._name}.json"

    def _schema_fingerprint(self) -> bytes:
        if self._fingerprint is None:
            digest = hashlib.sha256(__version__.encode())
            for path in self._schema_files:
                digest.update(path.read_bytes())
            digest.update(_install_fingerprint("pydantic").encode())
            for part in self._extra:
                digest.update(part.encode())
            self._fingerprint = digest.digest()
        return self._fingerprint

    def key(self, *parts: object) -> str:
        digest = hashlib.sha256(self._schema_fingerprint())
        digest.update(json.dumps(parts, sort_keys=True, default=repr).encode())
        return digest.hexdigest()

    def _load(self) -> dict[str, Any]:
        path = self.path
        if self._loaded is None or self._loaded[0] != path:
            entries: dict[str, Any] = {}
            with contextlib.suppress(OSError, ValueError):
                loaded = json.loads(path.read_bytes())
                if isinstance(loaded, dict):
                    entries = loaded
            self._loaded = (path, entries)
        return self._loaded[1]

    def get(self, key: str) -> Any | None:
        return self._load().get(key)

    def put(self, key: str, value: Any) -> None:
        entries = self._load()
        entries.pop(key, None)
        entries[key] = value
        while len(entries) > ENTRY_LIMIT:
            del entries[next(iter(entries))]
        import tempfile  # only when something changed

        path = self.path
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write-then-rename: a concurrent reader sees the old file or the new, never half.
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".validated-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(entries, out)
                os.replace(temp, path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
