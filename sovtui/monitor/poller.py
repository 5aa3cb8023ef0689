"""The polling model: timer -> one fetch at a time -> result or failure -> backoff.

Each fetch is timed: after a slow answer the next poll waits longer than the interval (see
`paced_wait`), back to the interval once answers are quick again, and the link says so.

No Textual here (k9s's `internal/model` is the pattern): the model owns the refresh loop and
the link's health, and publishes both to its subscribers; a view only renders what it gets.
Time comes from an injected Clock, so the whole loop runs in unit tests without real waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Generic, TypeVar

from sovtui.monitor.clock import Clock
from sovtui.monitor.link_state import SLOW_FACTOR, LinkState, backoff_delay, paced_wait, rounded

T = TypeVar("T")

Fetch = Callable[[], Awaitable[T]]
# A failure as the link shows it: (state, message), e.g. ("disconnected", "connection refused").
Describe = Callable[[Exception], tuple[str, str]]


def describe_any(error: Exception) -> tuple[str, str]:
    return "failed", f"{type(error).__name__}: {error}"


def _always() -> bool:
    return True


class Poller(Generic[T]):
    """Runs `fetch` now, then every `interval` seconds; after n failures in a row, waits
    `backoff(n)` instead, and after an answer that took t seconds at least `slow_factor` * t
    (both at most `max_backoff`). `poll_now()` wakes it early; a fetch never overlaps another."""

    def __init__(
        self,
        fetch: Fetch[T],
        interval: float,
        *,
        max_backoff: float | None = None,
        backoff: Callable[[int], float] | None = None,
        slow_factor: float = SLOW_FACTOR,
        describe: Describe = describe_any,
        wanted: Callable[[], bool] = _always,
        clock: Clock | None = None,
    ) -> None:
        self._fetch = fetch
        self.interval = interval
        cap = interval if max_backoff is None else max_backoff
        self._backoff = backoff or (lambda failures: backoff_delay(failures, interval, cap))
        self._max_backoff = max_backoff
        self._slow_factor = slow_factor
        self._took = 0.0  # how long the last answer took
        self._describe = describe
        self._wanted = wanted  # asked on each timer tick; poll_now() polls regardless
        self._clock = clock or Clock()
        self.link = LinkState("connecting")
        self.latest: T | None = None
        self._value_listeners: list[Callable[[T], object]] = []
        self._link_listeners: list[Callable[[LinkState], object]] = []
        self._wake = asyncio.Event()
        self._in_flight: asyncio.Future[T] | None = None

    def subscribe(
        self, on_value: Callable[[T], object], on_link: Callable[[LinkState], object] | None = None
    ) -> None:
        self._value_listeners.append(on_value)
        if on_link is not None:
            self._link_listeners.append(on_link)

    @property
    def fetching(self) -> bool:
        return self._in_flight is not None

    # -- requests ---------------------------------------------------------------------------

    def poll_now(self) -> None:
        """Fetch as soon as the fetch in flight (if any) is done; no countdown meanwhile."""
        if self.link.retry_at is not None:
            self._publish_link(replace(self.link, retry_at=None))
        self._wake.set()

    def restart(self) -> None:
        """The source changed (another address): drop the fetch in flight, forget the
        failures, and fetch now."""
        if self._in_flight is not None:
            self._in_flight.cancel()
        self.latest = None
        self._took = 0.0
        self._publish_link(LinkState("connecting"))
        self._wake.set()

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll until cancelled: at once, then on the timer, `poll_now()` or `restart()`."""
        while True:
            await self.poll_once()
            await self._wait_for_next()

    async def poll_once(self) -> None:
        self._wake.clear()  # what asked for this poll is answered by it
        started = self._clock.monotonic()
        fetch = asyncio.ensure_future(self._fetch())
        self._in_flight = fetch
        try:
            await asyncio.wait({fetch})  # unlike `await fetch`, restart() cancels only the fetch
        finally:
            self._in_flight = None
            fetch.cancel()  # when the loop itself is cancelled; a no-op once done
        if fetch.cancelled():
            return  # restart() dropped it; its result would belong to the old source
        error = fetch.exception()
        if error is None:
            self._succeeded(fetch.result(), self._clock.monotonic() - started)
        elif isinstance(error, Exception):  # any failure is a state to show, never a crash
            self._failed(error)
        else:
            raise error

    async def _wait_for_next(self) -> None:
        while True:
            failures = self.link.failures
            delay = self._paced() if failures == 0 else self._backoff(failures)
            if await self._sleep_or_wake(delay) or self._wanted():
                return

    def _paced(self) -> float:
        cap = self.interval if self._max_backoff is None else self._max_backoff
        return paced_wait(self._took, self.interval, cap, self._slow_factor)

    async def _sleep_or_wake(self, delay: float) -> bool:
        """Sleep `delay` seconds unless woken first; True when woken."""
        if not self._wake.is_set():
            sleeping = asyncio.ensure_future(self._clock.sleep(delay))
            waking = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({sleeping, waking}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeping.cancel()
                waking.cancel()
        return self._wake.is_set()

    # -- outcomes ---------------------------------------------------------------------------

    def _succeeded(self, value: T, took: float) -> None:
        self._took = took
        wait = self._paced()
        if wait > self.interval:  # slowed down: the link says why the data is older
            link = LinkState(
                "connected", slow_every=rounded(wait + took), answer_took=rounded(took)
            )
        else:
            link = LinkState("connected")
        self._publish_link(link)
        self.latest = value
        for listener in self._value_listeners:
            listener(value)

    def _failed(self, error: Exception) -> None:
        state, message = self._describe(error)
        failures = self.link.failures + 1
        retry_at = self._clock.monotonic() + self._backoff(failures)
        self._publish_link(LinkState(state, message, failures, retry_at))

    def _publish_link(self, link: LinkState) -> None:
        if link == self.link:
            return
        self.link = link
        for listener in self._link_listeners:
            listener(link)
