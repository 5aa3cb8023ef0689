"""What a finished job says about itself, shared by `sovtui submit` and the TUI's job screen."""

from __future__ import annotations

from sovtui.ray_api.models import JobDetails

LAST_LINES = 20


def last_lines(log_text: str, last: int = LAST_LINES) -> list[str]:
    return log_text.rstrip("\n").splitlines()[-last:]


def failure_headline(details: JobDetails) -> str:
    return f"job {details.display_id} {details.status}" + (
        f" ({details.error_type})" if details.error_type else ""
    )


def failure_report(details: JobDetails, log_text: str, last: int = LAST_LINES) -> list[str]:
    """Error type, Ray's message, the last log lines."""
    lines = [failure_headline(details)]
    if details.message:
        lines.append(f"message: {details.message.strip()}")
    tail = last_lines(log_text, last)
    if tail:
        lines.append(f"last {len(tail)} log lines:")
        lines.extend(f"  {line}" for line in tail)
    return lines
