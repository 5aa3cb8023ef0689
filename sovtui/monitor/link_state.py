"""The connection's health as the UI shows it, how long to back off after a failure, and how
long to wait after a slow answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkState:
    state: str  # connecting | connected | disconnected | unauthorized | bad response | rejected
    message: str = ""
    failures: int = 0
    retry_at: float | None = None  # monotonic time of the next attempt while failing
    # Healthy but slow: seconds between polls, stretched past the interval to spare the head,
    # and how long the last answer took (both rounded, so the state changes seldom).
    slow_every: float | None = None
    answer_took: float | None = None

    @property
    def healthy(self) -> bool:
        return self.state == "connected"

    @property
    def slow(self) -> bool:
        return self.healthy and self.slow_every is not None

    def retry_in(self, now: float) -> int | None:
        if self.retry_at is None:
            return None
        return max(0, round(self.retry_at - now))

    def describe(self, now: float) -> str:
        if self.slow:
            return (
                f"slow answers: polling every {self.slow_every:g} s "
                f"(the last took {self.answer_took:g} s)"
            )
        if self.healthy or self.state == "connecting":
            return self.state
        wait = self.retry_in(now)
        retry = f", retrying in {wait} s" if wait is not None else ""
        return f"{self.state}{retry}: {self.message}"


def backoff_delay(failures: int, interval: float, max_backoff: float) -> float:
    """interval, 2x, 4x ... capped: a dead cluster costs almost nothing to watch."""
    return float(min(max_backoff, interval * (2 ** max(0, failures - 1))))


# After an answer that took t seconds the next poll waits at least SLOW_FACTOR * t: a slow head
# (an 80 MB node summary of 5,000 nodes) spends at most 1 / (1 + SLOW_FACTOR) of its time
# answering this client.
SLOW_FACTOR = 3.0


def paced_wait(took: float, interval: float, cap: float, factor: float = SLOW_FACTOR) -> float:
    """The wait after an answer that took `took` seconds: the interval, or `factor` times the
    answer's time when longer, at most `cap` (never under the interval)."""
    return max(interval, min(cap, factor * took))


def rounded(seconds: float) -> float:
    """Seconds as the link shows them: whole from 10 s, tenths below."""
    return float(round(seconds)) if seconds >= 10 else round(seconds, 1)
