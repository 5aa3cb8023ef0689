from __future__ import annotations

from pathlib import Path

from sovtui.tui.themes import load_themes


def test_shipped_themes_load_dark_light_and_16_colour() -> None:
    loaded = load_themes()
    assert not loaded.failures
    assert {"sovtui-dark", "sovtui-light", "sovtui-16"} <= set(loaded.themes)
    assert loaded.themes["sovtui-light"].dark is False
    assert loaded.themes["sovtui-16"].ansi is True


def test_broken_theme_files_are_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text("name: mine\nprimary: '#112233'\n")
    (tmp_path / "syntax.yaml").write_text("name: [broken\n")
    (tmp_path / "colour.yaml").write_text("name: odd\nprimary: not-a-colour\n")
    (tmp_path / "unknown.yaml").write_text("name: extra\nprimary: red\nsparkle: true\n")
    (tmp_path / "list.yaml").write_text("- name: x\n")
    loaded = load_themes([tmp_path])
    assert list(loaded.themes) == ["mine"]
    reasons = {failure.path.name: failure.reason for failure in loaded.failures}
    assert "line 2" in reasons["syntax.yaml"] and "YAML syntax error" in reasons["syntax.yaml"]
    assert "primary" in reasons["colour.yaml"] and "not a colour" in reasons["colour.yaml"]
    assert "sparkle" in reasons["unknown.yaml"]
    assert "mapping" in reasons["list.yaml"]


def test_user_theme_overrides_shipped_by_name(tmp_path: Path) -> None:
    from sovtui.support import locations

    (tmp_path / "sovtui-dark.yaml").write_text("name: sovtui-dark\nprimary: '#ff0000'\n")
    loaded = load_themes([locations.shipped_themes_dir(), tmp_path])
    assert loaded.themes["sovtui-dark"].primary == "#ff0000"
