"""An unexpected exception: the traceback goes to a private file, the terminal gets one line.

A Rich traceback with locals, printed to the terminal, is long and can quote cluster text raw;
the file (0600, under the XDG state dir) keeps everything for a bug report.
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from pathlib import Path

from sovtui.support import locations
from sovtui.support.safe_text import visible


def _write_private(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as file:
        file.write(text)
    return path


def save_crash_report(error: BaseException) -> Path | None:
    """Write `error`'s traceback to a new file; None when no folder would take it."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in (locations.state_dir(), Path(tempfile.gettempdir())):
        try:
            return _write_private(folder, name, text)
        except OSError:
            continue
    return None


def crash_line(error: BaseException, report: Path | None, heading: str = "unexpected error") -> str:
    """The one line for the terminal: what failed, and where the traceback is."""
    what = visible(f"{type(error).__name__}: {error}")
    if len(what) > 200:
        what = what[:199] + "…"
    where = f"traceback in {report}" if report else "the traceback could not be saved"
    return f"sovtui: {heading}: {what} ({where})"
