"""Token lookups for clients in tests."""

from __future__ import annotations

from sovtui.ray_api.auth import TokenLookup


def no_token() -> TokenLookup:
    """What sovtui finds when no token is configured anywhere."""
    return TokenLookup(None, None, ("$RAY_AUTH_TOKEN", "$RAY_AUTH_TOKEN_PATH", "~/.ray/auth_token"))
