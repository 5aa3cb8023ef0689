"""How sovtui ends when something fails: a crash while running exits 1 with one line; a
failure on the way out after a signal keeps the signal's status (the head is stopped either
way), and still says what failed and where its traceback is."""

from __future__ import annotations

import asyncio
import signal

import pytest

from sovtui.cli.run_tui import _Ending, _outcome, run_app
from sovtui.tui.app import SovtuiApp
from tests.support.app_factory import make_app
from tests.support.waiting import idle


class FailsClosing(SovtuiApp):
    def on_ready(self) -> None:
        super().on_ready()
        self.exit()  # what the SIGTERM handler asks for

    async def on_unmount(self) -> None:
        await super().on_unmount()
        raise RuntimeError("closing failed")


class FailsRunning(SovtuiApp):
    def on_ready(self) -> None:
        super().on_ready()
        raise RuntimeError("running failed")


def sigterm() -> _Ending:
    ending = _Ending()
    ending.signum = signal.SIGTERM
    return ending


def test_a_failure_while_closing_after_sigterm_keeps_the_signals_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = make_app(app_class=FailsClosing)
    run_app(app, headless=True, size=(80, 24))
    assert app.crash is not None and app.crash_while_closing
    assert _outcome(app, sigterm()) == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert "error while closing: RuntimeError: closing failed (traceback in " in err


async def test_a_crash_while_running_exits_1_even_after_a_signal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = make_app(app_class=FailsRunning)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await idle(pilot)
    assert app.crash is not None and not app.crash_while_closing
    assert _outcome(app, sigterm()) == 1
    assert "unexpected error: RuntimeError: running failed" in capsys.readouterr().err


def test_the_terminal_drivers_job_control_handlers_end_with_the_app() -> None:
    """Textual's LinuxDriver sets SIGTSTP and SIGCONT handlers and leaves them behind: a SIGCONT
    after the app (the one a closed terminal sends with its SIGHUP, while the head stops) would
    start its terminal mode again, with an input thread nothing stops: sovtui hung on exit."""
    from textual.drivers.linux_driver import LinuxDriver

    class WithTerminalDriver(SovtuiApp):
        def run(self, *args: object, **kwargs: object) -> None:
            async def on_a_terminal() -> None:
                LinuxDriver(self)  # what App.run makes on a terminal; it sets the handlers

            asyncio.run(on_a_terminal())

    before = {number: signal.getsignal(number) for number in (signal.SIGTSTP, signal.SIGCONT)}
    app = make_app(app_class=WithTerminalDriver)
    assert isinstance(app, WithTerminalDriver)
    run_app(app)
    after = {number: signal.getsignal(number) for number in (signal.SIGTSTP, signal.SIGCONT)}
    assert after == before
