from __future__ import annotations

from pathlib import Path

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
