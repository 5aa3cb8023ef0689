"""What can go wrong talking to a Ray dashboard, as states the UI can show."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class DashboardError(Exception):
    """Base class: `state` is a short label for the header, the message is one readable line."""

    state = "error"


class DashboardUnreachable(DashboardError):
    """Nothing answers at the address (refused, timed out, DNS)."""

    state = "disconnected"


class DashboardTimeout(DashboardUnreachable):
    """Something answered, but the whole request did not finish within its deadline."""

    state = "timed out"


class DashboardUnauthorized(DashboardError):
    """HTTP 401 (token missing) or 403 (token wrong)."""

    state = "unauthorized"

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class DashboardBadResponse(DashboardError):
    """Something answered, but not like a Ray dashboard (HTML, 404, garbage JSON)."""

    state = "bad response"


class DashboardTooLarge(DashboardBadResponse):
    """The answer's body went past the size allowed for its kind of request."""


class DashboardRejected(DashboardError):
    """The dashboard understood the request and refused it (4xx/5xx with a reason)."""

    state = "rejected"

    def __init__(self, message: str, status_code: int, body: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


def ray_reason(text: str) -> str:
    """Ray answers errors with a bare traceback: its last line is the reason worth showing."""
    # A line of punctuation alone (Ray's 500 bodies sometimes end with ".") says nothing.
    lines = [line.strip() for line in text.splitlines() if any(c.isalnum() for c in line)]
    if not lines:
        return "(no reason given)"
    return lines[-1][:500]


def rejected(action: str, status_code: int, body: str) -> DashboardRejected:
    """`{action} refused by Ray (HTTP n): {reason}` for a refusal with Ray's traceback body."""
    return DashboardRejected(
        f"{action} refused by Ray (HTTP {status_code}): {ray_reason(body)}", status_code, body
    )


def bad_answer(url: str, exc: ValidationError, like: str = "Ray 2.x") -> DashboardBadResponse:
    """`{url} did not answer like {like}: {where}: {why}` for an answer pydantic refused."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    reason = (
        "the body is not JSON" if first["type"] == "json_invalid" else f"{where}: {first['msg']}"
    )
    return DashboardBadResponse(f"{url} did not answer like {like}: {reason}")
