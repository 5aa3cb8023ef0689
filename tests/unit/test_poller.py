"""The polling model without Textual or real time: timer, one fetch at a time, backoff."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest

from sovtui.monitor.clock import Clock
from sovtui.monitor.cluster_feed import ClusterFeed
from sovtui.monitor.link_state import LinkState
from sovtui.monitor.poller import Poller
from sovtui.ray_api.errors import DashboardUnreachable
from sovtui.ray_api.snapshot import ClusterSnapshot
from sovtui.settings.model import Settings
from tests.support.manual_time import ManualTime


async def until(condition: Callable[[], object], turns: int = 1000) -> None:
    """Let the event loop run until `condition()` holds (no real time passes)."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


class Source:
    """A fetch whose answers the test scripts: a value, or an exception to raise."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self.gate: asyncio.Event | None = None  # set: the fetch waits for it

    async def __call__(self) -> object:
        self.calls += 1
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.gate is not None:
                await self.gate.wait()
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            if isinstance(answer, Exception):
                raise answer
            return answer
        finally:
            self.running -= 1


class Recorder:
    def __init__(self) -> None:
        self.values: list[object] = []
        self.links: list[LinkState] = []


@pytest.fixture
def time() -> ManualTime:
    return ManualTime()


def poller_for(
    source: Callable[[], Awaitable[object]], time: ManualTime, **options: object
) -> tuple[Poller[object], Recorder]:
    clock = Clock(now=lambda: 0.0, monotonic=time.monotonic, sleep=time.sleep)
    poller: Poller[object] = Poller(source, 2.0, clock=clock, **options)  # type: ignore[arg-type]
    seen = Recorder()
    poller.subscribe(seen.values.append, seen.links.append)
    return poller, seen


@pytest.fixture
def running() -> Iterator[list[asyncio.Task[None]]]:
    tasks: list[asyncio.Task[None]] = []
    yield tasks
    for task in tasks:
        task.cancel()


def start(poller: Poller[object], running: list[asyncio.Task[None]]) -> None:
    running.append(asyncio.ensure_future(poller.run()))


async def test_polls_at_once_then_every_interval(
    time: ManualTime, running: list[asyncio.Task[None]]
) -> None:
    source = Source("a", "b", "c")
    poller, seen = poller_for(source, time)
    start(poller, running)
    await until(lambda: seen.values == ["a"] and time.sleeping)
    assert seen.links == [LinkState("connected")] and poller.latest == "a"
    assert time.slept == [2.0]
    time.advance(1.9)  # not yet
    await until(lambda: time.sleeping)
    assert source.calls == 1
    time.advance(0.1)
    await until(lambda: seen.values == ["a", "b"] and time.sleeping)
    time.advance(2.0)
    await until(lambda: seen.values == ["a", "b", "c"])
    assert seen.links == [LinkState("connected")]  # published once, not per poll


async def test_failures_back_off_and_a_success_recovers(
    time: ManualTime, running: list[asyncio.Task[None]]
) -> None:
    down = DashboardUnreachable("connection refused")
    source = Source(down, down, down, down, "up", "up")
    poller, seen = poller_for(
        source, time, max_backoff=10.0, describe=lambda e: ("disconnected", str(e))
    )
    start(poller, running)
    for failures, wait in ((1, 2.0), (2, 4.0), (3, 8.0), (4, 10.0)):
        await until(lambda f=failures: poller.link.failures == f and time.sleeping)  # type: ignore[misc]
        assert time.slept[-1] == wait  # interval, 2x, 4x ... capped at max_backoff
        link = poller.link
        assert (link.state, link.message) == ("disconnected", "connection refused")
        assert link.retry_at == time.now + wait
        time.advance(wait)
    await until(lambda: seen.values == ["up"] and time.sleeping)
    assert poller.link == LinkState("connected")
    assert time.slept[-1] == 2.0  # back to the interval


class Timed:
    """A fetch whose answers take the scripted seconds of manual time."""

    def __init__(self, time: ManualTime, *durations: float) -> None:
        self.time = time
        self.durations = list(durations)

    async def __call__(self) -> object:
        self.time.advance(self.durations.pop(0) if len(self.durations) > 1 else self.durations[0])
        return "answer"


async def test_slow_answers_stretch_the_wait_and_quick_ones_restore_it(
    time: ManualTime, running: list[asyncio.Task[None]]
) -> None:
    source = Timed(time, 0.5, 1.0, 5.0, 20.0, 0.2)
    poller, seen = poller_for(source, time, max_backoff=30.0)
    start(poller, running)
    # (answer took, then the wait: the interval, 3x the answer's time, at most max_backoff)
    for polls, (took, wait) in enumerate(
        ((0.5, 2.0), (1.0, 3.0), (5.0, 15.0), (20.0, 30.0), (0.2, 2.0)), start=1
    ):
        await until(lambda n=polls: len(time.slept) == n)  # type: ignore[misc]
        assert time.slept[-1] == wait
        link = poller.link
        assert link.healthy and link.failures == 0
        if wait > 2.0:
            assert (link.slow_every, link.answer_took) == (wait + took, took)
            assert link.describe(time.now) == (
                f"slow answers: polling every {wait + took:g} s (the last took {took:g} s)"
            )
        else:
            assert link == LinkState("connected") and not link.slow
        time.advance(wait)
    assert [link.slow_every for link in seen.links] == [None, 4.0, 20.0, 50.0, None]


async def test_without_max_backoff_slow_answers_keep_the_interval(
    time: ManualTime, running: list[asyncio.Task[None]]
) -> None:
    poller, seen = poller_for(Timed(time, 5.0), time)
    start(poller, running)
    await until(lambda: time.sleeping)
    assert time.slept == [2.0] and seen.links == [LinkState("connected")]


async def test_a_failure_after_slow_answers_backs_off_as_before(
    time: ManualTime, running: list[asyncio.Task[None]]
) -> None:
    answers: list[object] = [5.0, ValueError("bad"), 0.1]

    async def fetch() -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        time.advance(float(answer))  # type: ignore[arg-type]
        return "answer"

    poller, _seen = poller_for(fetch, time, max_backoff=30.0)
    start(poller, running)
    await until(lambda: poller.link.slow and time.sleeping)
    time.advance(15.0)
    await until(lambda: poller.link.failures == 1 and time.sleeping)
    assert time.slept == [15.0, 2.0] and not poller.link.slow  # the failure's own backoff
    time.advance(2.0)
    await until(lambda: len(time.slept) == 3)
    assert time.slept[-1] == 2.0 and poller.link == LinkState("connected")


async def test_one_fetch_at_a_time_and_requests_during_one_coalesce(
    time: ManualTime, running: list[asyncio.Task[None]]
) -> None:
    source = Source("slow")
    source.gate = asyncio.Event()
    poller, seen = poller_for(source, time)
    start(poller, running)
    await until(lambda: poller.fetching)
    for _ in range(5):
        poller.poll_now()
    await until(lambda: source.running == 1)
    source.gate.set()
    await until(lambda: len(seen.values) == 2 and time.sleeping)
    assert source.most_at_once == 1
    assert source.calls == 2  # five requests meanwhile: one poll after the slow one
    assert time.now == 1000.0  # and no real or fake time passed


async def test_poll_now_wakes_the_timer_and_clears_the_countdown(
    time: ManualTime, running: list[asyncio.Task[None]]
) -> None:
    source = Source(ValueError("bad"), "ok")
    poller, seen = poller_for(source, time)
    start(poller, running)
    await until(lambda: poller.link.failures == 1 and time.sleeping)
    assert poller.link.retry_at is not None
    assert poller.link.message == "ValueError: bad"  # not expected, still a state
    poller.poll_now()
    assert seen.links[-1].retry_at is None  # the banner stops counting down at once
    await until(lambda: seen.values == ["ok"])
    assert time.now == 1000.0


async def test_restart_drops_the_fetch_in_flight(
    time: ManualTime, running: list[asyncio.Task[None]]
) -> None:
    source = Source("old cluster")
    source.gate = asyncio.Event()
    poller, seen = poller_for(source, time)
    start(poller, running)
    await until(lambda: source.running == 1)
    poller.restart()
    await until(lambda: source.calls == 2)
    source.answers = ["new cluster"]
    source.gate.set()
    await until(lambda: seen.values and time.sleeping)
    assert seen.values == ["new cluster"]  # the old answer never shows
    assert seen.links == [LinkState("connected")]
    poller.restart()  # from a healthy link: the new source is not known to be healthy yet
    assert seen.links[-1] == LinkState("connecting") and poller.latest is None
    await until(lambda: len(seen.values) == 2)
    assert seen.links[-1] == LinkState("connected")


async def test_timer_ticks_skip_while_not_wanted_but_requests_poll(
    time: ManualTime, running: list[asyncio.Task[None]]
) -> None:
    wanted = [False]
    source = Source("x")
    poller, _seen = poller_for(source, time, wanted=lambda: wanted[0])
    start(poller, running)
    await until(lambda: source.calls == 1 and time.sleeping)  # the first poll always runs
    for _ in range(3):
        time.advance(2.0)
        await until(lambda: time.sleeping)
    assert source.calls == 1
    poller.poll_now()
    await until(lambda: source.calls == 2)
    wanted[0] = True
    await until(lambda: time.sleeping)
    time.advance(2.0)
    await until(lambda: source.calls == 3)


async def test_cancelling_the_loop_cancels_the_fetch(time: ManualTime) -> None:
    source = Source("never")
    source.gate = asyncio.Event()
    poller, _seen = poller_for(source, time)
    task = asyncio.ensure_future(poller.run())
    await until(lambda: source.running == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert source.running == 0 and not poller.fetching


async def test_cluster_feed_keeps_history_and_forgets_it_on_retarget(
    time: ManualTime, running: list[asyncio.Task[None]]
) -> None:
    snapshot = ClusterSnapshot(version=None, nodes=(), totals={}, jobs=(), taken_at=1.0)
    source = Source(snapshot)
    clock = Clock(now=lambda: 0.0, monotonic=time.monotonic, sleep=time.sleep)
    feed = ClusterFeed(source, Settings(interval=2.0, history_points=10), clock)  # type: ignore[arg-type]
    assert feed.window_seconds == 20.0
    running.append(asyncio.ensure_future(feed.poller.run()))
    await until(lambda: len(feed.history) == 1 and time.sleeping)
    assert feed.latest is snapshot and feed.link.healthy
    time.advance(2.0)
    await until(lambda: len(feed.history) == 2)
    feed.retargeted()
    assert len(feed.history) == 0 and feed.latest is None
    assert feed.link == LinkState("connecting")
    await until(lambda: len(feed.history) == 1)
