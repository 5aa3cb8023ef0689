"""`sovtui` / `sovtui run`: open the dashboard; stop an embedded head on exit unless --keep.

`q`, Ctrl-C, SIGHUP (SSH drop, closed pane) and SIGTERM all end it the same way: the head is
stopped. SIGKILL cannot be caught: the head's guard process stops it then.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, Any

from sovtui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    connection_target,
    settings_from_args,
)
from sovtui.cli.hangup import Hangup, hangup_signals, job_control_restored, quietly
from sovtui.cluster.connect import Connection, open_connection
from sovtui.cluster.embedded_head import EmbeddedHeadError
from sovtui.support.crash_report import crash_line

if TYPE_CHECKING:
    from textual.app import App

    from sovtui.tui.app import SovtuiApp


def _progress(message: str) -> None:
    quietly(lambda: print(f"sovtui: {message}", file=sys.stderr, flush=True))


class _Ending:
    """How a SIGHUP or SIGTERM ends the TUI: before the app's loop runs, by unwinding (the
    head's clean-up runs on the way out); while it runs, by asking the app to exit, as `q`."""

    def __init__(self) -> None:
        self.app: App[Any] | None = None
        self.signum: int | None = None

    def on_signal(self, signum: int) -> None:
        self.signum = signum
        try:
            loop = asyncio.get_running_loop()  # the handler runs on the main thread, in the loop
        except RuntimeError:
            raise Hangup(signum) from None
        if self.app is not None:
            loop.call_soon_threadsafe(self.app.exit)

    def exit_code(self) -> int:
        return EXIT_OK if self.signum is None else 128 + self.signum


def run_app(app: SovtuiApp, **options: Any) -> None:
    """Run the TUI; a failure on the way out once it was asked to exit (q, a signal) is kept as
    its crash, like one while it ran, instead of unwinding past the head's clean-up report."""
    try:
        with job_control_restored():
            app.run(**options)
    except Exception as error:
        if not app.closing:
            raise
        app.crashed(error)


def _close(connection: Connection, keep: bool) -> None:
    head = connection.head
    if head is not None and not keep:
        _progress("stopping the embedded Ray head")
    asyncio.run(connection.close(keep_head=keep))
    if head is not None and keep:
        _progress(head.kept_advice())


def run_replay(args: argparse.Namespace, name: str) -> int:
    """`sovtui --replay CLUSTER`: the dashboard over a recording; no cluster, no head."""
    settings = settings_from_args(args)
    from sovtui.monitor.replay import open_replay

    try:
        replay = open_replay(name)
    except LookupError as error:
        raise UserError(f"--replay {name}: {error}", EXIT_BAD_INPUT) from None
    from sovtui.tui.app import make_replay_app

    app = make_replay_app(replay, settings, ascii_only=bool(getattr(args, "ascii", False)))
    ending = _Ending()
    ending.app = app
    with hangup_signals(ending.on_signal), contextlib.suppress(Hangup), job_control_restored():
        app.run()  # a Hangup before its loop ran: nothing to clean up in a replay
    if app.crash is not None:
        print(crash_line(app.crash, app.crash_report), file=sys.stderr, flush=True)
        return EXIT_FAILURE
    if ending.signum is None and app.return_code:
        return EXIT_FAILURE
    return ending.exit_code()


def run_tui(args: argparse.Namespace) -> int:
    replay = getattr(args, "replay", None)
    if replay:
        return run_replay(args, replay)
    settings = settings_from_args(args)  # a bad config is reported before Textual loads
    from sovtui.tui.app import make_app  # Textual loads only when the TUI is wanted

    keep = bool(getattr(args, "keep", False))
    app: SovtuiApp | None = None
    ending = _Ending()
    with hangup_signals(ending.on_signal):
        try:
            connection = open_connection(settings, progress=_progress, **connection_target(args))
        except EmbeddedHeadError as error:
            raise UserError(str(error), EXIT_FAILURE) from None
        except Hangup as hangup:
            return hangup.exit_code  # a head being started was stopped on the way out
        try:
            app = make_app(connection, settings, ascii_only=bool(getattr(args, "ascii", False)))
            ending.app = app
            run_app(app)
        except Hangup:
            pass  # before the app's loop ran: nothing to exit, only the clean-up below
        finally:
            _close(connection, keep)
    return _outcome(app, ending)


def _outcome(app: SovtuiApp | None, ending: _Ending) -> int:
    """The exit code, and the one line about a crash (the head is stopped by now)."""
    if app is not None and app.crash is not None:
        if ending.signum is not None and app.crash_while_closing:
            # Asked to end by a signal, and it did end (head stopped): a failure on the way
            # out is reported, but the exit status is still the signal's, as the caller expects.
            line = crash_line(app.crash, app.crash_report, "error while closing")
            quietly(lambda: print(line, file=sys.stderr, flush=True))
            return ending.exit_code()
        line = crash_line(app.crash, app.crash_report)
        quietly(lambda: print(line, file=sys.stderr, flush=True))
        return EXIT_FAILURE
    if ending.signum is None and app is not None and app.return_code:
        return EXIT_FAILURE
    return ending.exit_code()
