"""Find the Ray auth token as Ray does: RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class TokenLookup:
    """The token (if any), where it came from, and every place that was searched."""

    token: str | None
    source: str | None
    searched: tuple[str, ...] = field(default_factory=tuple)

    def describe_search(self) -> str:
        return ", ".join(self.searched)

    def refusal(self, address: str, status: int) -> str:
        """One line for an HTTP 401 or 403 from `address`, given what was (not) sent."""
        if self.token is None and status == 401:
            return (
                f"{address} wants a Ray auth token (HTTP 401) and none was found; "
                f"looked in {self.describe_search()}"
            )
        if self.token is None:
            return (
                f"{address} refused the request (HTTP {status}): the token is wrong or missing, "
                f"and none was sent; looked in {self.describe_search()}"
            )
        if status == 401:
            # A token WAS sent, so "none was found" would send the user looking in vain.
            return (
                f"{address} answered HTTP 401 (token missing) although the token from "
                f"{self.source} was sent: something on the way (a proxy?) dropped the "
                "Authorization header, or the server does not read it as a Ray token"
            )
        return (
            f"{address} refused the Ray auth token from {self.source} (HTTP {status}): "
            "the token is wrong for this cluster"
        )

    def __repr__(self) -> str:  # never leak the secret through logs or reprs
        shown = "set" if self.token else "none"
        return f"TokenLookup(token={shown}, source={self.source!r})"


def explicit_token(token: str, source: str) -> TokenLookup:
    return TokenLookup(token=token, source=source, searched=(source,))


def find_token(environ: Mapping[str, str] | None = None, home: Path | None = None) -> TokenLookup:
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    searched: list[str] = ["$RAY_AUTH_TOKEN"]
    value = environ.get("RAY_AUTH_TOKEN", "").strip()
    if value:
        return TokenLookup(value, "$RAY_AUTH_TOKEN", tuple(searched))
    path_value = environ.get("RAY_AUTH_TOKEN_PATH", "").strip()
    candidates: list[tuple[str, Path]] = []
    if path_value:
        candidates.append((f"$RAY_AUTH_TOKEN_PATH ({path_value})", Path(path_value)))
    else:
        searched.append("$RAY_AUTH_TOKEN_PATH")
    candidates.append((str(home / ".ray" / "auth_token"), home / ".ray" / "auth_token"))
    for label, path in candidates:
        searched.append(label)
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if text:
            return TokenLookup(text, label, tuple(searched))
    return TokenLookup(None, None, tuple(searched))
