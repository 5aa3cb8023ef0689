"""The connection's health as the UI shows it, and how long to back off after a failure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkState:
    state: str  # connecting | connected | disconnected | unauthorized | bad response | rejected
    message: str = ""
    failures: int = 0
    retry_at: float | None = None  # monotonic time of the next attempt while failing

    @property
    def healthy(self) -> bool:
        return self.state == "connected"

    def retry_in(self, now: float) -> int | None:
        if self.retry_at is None:
            return None
        return max(0, round(self.retry_at - now))

    def describe(self, now: float) -> str:
        if self.healthy or self.state == "connecting":
            return self.state
        wait = self.retry_in(now)
        retry = f", retrying in {wait} s" if wait is not None else ""
        return f"{self.state}{retry}: {self.message}"


def backoff_delay(failures: int, interval: float, max_backoff: float) -> float:
    """interval, 2x, 4x ... capped: a dead cluster costs almost nothing to watch."""
    return float(min(max_backoff, interval * (2 ** max(0, failures - 1))))
