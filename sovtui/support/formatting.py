"""Human-readable numbers shared by the TUI and the headless commands."""

from __future__ import annotations

import time

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(value: float | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in _UNITS:
        if abs(size) < 1024 or unit == _UNITS[-1]:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PiB"  # pragma: no cover - loop always returns


def short_bytes(value: float | None) -> str:
    """`21474836480` -> `20G`: for tight spaces like the totals bars."""
    if value is None:
        return "?"
    size = float(value)
    for unit in ("B", "K", "M", "G", "T", "P"):
        if abs(size) < 1024 or unit == "P":
            return f"{size:.0f}{unit}" if size >= 10 or unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    return f"{size:.0f}P"  # pragma: no cover - loop always returns


def human_amount(resource: str, value: float | None, *, short: bool = False) -> str:
    """Bytes for memory-like resources, plain counts otherwise."""
    if value is None:
        return "?"
    if "memory" in resource:
        return short_bytes(value) if short else human_bytes(value)
    return f"{value:g}"


def human_duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def job_start(start_ms: int | None) -> str:
    if not start_ms:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(start_ms / 1000))


def job_duration(start_ms: int | None, end_ms: int | None, now: float) -> str:
    if not start_ms:
        return "—"
    end = end_ms / 1000 if end_ms else now
    return human_duration(end - start_ms / 1000)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def truncate(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
