from __future__ import annotations

from pathlib import Path

import pytest

from sovtui.ray_api.auth import find_token


def test_env_token_wins(tmp_path: Path) -> None:
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("from-file\n")
    lookup = find_token({"RAY_AUTH_TOKEN": "from-env"}, home=tmp_path)
    assert lookup.token == "from-env" and lookup.source == "$RAY_AUTH_TOKEN"


def test_token_path_then_home_file(tmp_path: Path) -> None:
    path = tmp_path / "custom"
    path.write_text("custom-token")
    assert find_token({"RAY_AUTH_TOKEN_PATH": str(path)}, home=tmp_path).token == "custom-token"
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("home-token\n")
    lookup = find_token({}, home=tmp_path)
    assert lookup.token == "home-token"
    assert lookup.source is not None and lookup.source.endswith("auth_token")


def test_nothing_found_lists_every_place(tmp_path: Path) -> None:
    lookup = find_token({}, home=tmp_path)
    assert lookup.token is None
    described = lookup.describe_search()
    assert "$RAY_AUTH_TOKEN" in described and "auth_token" in described


def test_repr_never_shows_the_secret() -> None:
    lookup = find_token({"RAY_AUTH_TOKEN": "s3cr3t-value"})
    assert "s3cr3t" not in repr(lookup)


async def test_401_with_a_token_sent_names_the_source_not_none_found() -> None:
    """A 401 while a token WAS sent must not say "none was found": it names what was sent."""
    import httpx

    from sovtui.ray_api.client import DashboardClient
    from sovtui.ray_api.errors import DashboardUnauthorized

    sent: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("authorization"))
        return httpx.Response(401, text="Unauthorized")

    lookup = find_token({"RAY_AUTH_TOKEN": "s3cr3t-value"})
    client = DashboardClient("http://127.0.0.1:8265", lookup, transport=httpx.MockTransport(answer))
    try:
        with pytest.raises(DashboardUnauthorized) as caught:
            await client.version()
    finally:
        await client.aclose()
    message = str(caught.value)
    assert sent == ["Bearer s3cr3t-value"]
    assert "none was found" not in message
    assert "token from $RAY_AUTH_TOKEN was sent" in message and "401" in message
    assert "s3cr3t" not in message


def test_refusal_wording_for_every_case(tmp_path: Path) -> None:
    nothing = find_token({}, home=tmp_path)
    assert "none was found" in nothing.refusal("http://h:8265", 401)
    assert "auth_token" in nothing.refusal("http://h:8265", 401)
    assert "none was sent" in nothing.refusal("http://h:8265", 403)
    path = tmp_path / "tok"
    path.write_text("abc\n")
    from_file = find_token({"RAY_AUTH_TOKEN_PATH": str(path)}, home=tmp_path)
    missing = from_file.refusal("http://h:8265", 401)
    assert f"$RAY_AUTH_TOKEN_PATH ({path})" in missing and "none was found" not in missing
    wrong = from_file.refusal("http://h:8265", 403)
    assert "wrong" in wrong and f"$RAY_AUTH_TOKEN_PATH ({path})" in wrong
