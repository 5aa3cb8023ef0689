"""Validate changed settings and themes in a forked child while this process loads Textual.

With nothing changed, settings and themes come from the validation cache and nothing is
forked. After a change pydantic has to run first (~120 ms of imports and schema building): a
child process does it on another core while this one imports Textual, and leaves its verdicts
in the cache, where this process's own load_settings and load_themes then find them. Whatever
happens to the child only means this process validates by itself, as it would without it:
bad input is reported by the parent, never by the child.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sovtui.settings.sources import settings_cached

WAIT_LIMIT_S = 10.0


def _validate_into_cache(user_file: Path | None, overrides: Mapping[str, Any]) -> None:
    from sovtui.settings.sources import load_settings
    from sovtui.tui.themes import theme_files, theme_verdict

    load_settings(user_file=user_file, overrides=overrides)
    for path in theme_files():
        with contextlib.suppress(OSError, ValueError):
            theme_verdict(path)


def _nothing() -> None:
    return None


def validate_ahead(user_file: Path | None, overrides: Mapping[str, Any]) -> Callable[[], None]:
    """Start validating what changed; returns the function that waits for it to finish."""
    from sovtui.tui.themes import themes_cached

    if settings_cached(user_file=user_file, overrides=overrides) and themes_cached():
        return _nothing
    # Forking a threaded process can copy a lock another thread holds; the CLI calls this
    # before it starts any thread, and otherwise the parent simply validates by itself.
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return _nothing
    done_reading, done_writing = os.pipe()  # the write end closes when the child exits
    child = os.fork()
    if child == 0:
        try:
            os.close(done_reading)
            with contextlib.suppress(BaseException):  # the parent repeats it and reports
                _validate_into_cache(user_file, overrides)
        finally:
            os._exit(0)  # no atexit handlers, no flushing the parent's buffers
    os.close(done_writing)

    def wait() -> None:
        try:
            finished, _, _ = select.select([done_reading], [], [], WAIT_LIMIT_S)
            if not finished:  # stuck (say, a hung network home): validate here instead
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
        finally:
            os.close(done_reading)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0)

    return wait
