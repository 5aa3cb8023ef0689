"""`sovtui presets` and `sovtui submit` input errors: no cluster needed, exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sovtui.cli import main


@pytest.fixture
def user_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "sovtui" / "presets"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text(
        "name: mine\nworkload:\n  command: 'echo hi'\n"
        "params:\n  - {name: tasks, type: int, default: 2, min: 1, max: 8}\n"
        "  - {name: mode, type: choice, choices: [a, b], default: a}\n"
    )
    (folder / "broken.yaml").write_text("name: broken\nworkload: {command: 'echo'}\nbogus: 1\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    # Nothing listens here: input errors must be reported before any connection is tried.
    monkeypatch.setenv("RAY_API_SERVER_ADDRESS", "http://127.0.0.1:9")
    return folder


def test_presets_json_lists_presets_and_reports_failures(
    user_presets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["presets", "--json"]) == 0
    out, err = capsys.readouterr()
    names = {p["name"] for p in json.loads(out)}
    assert "mine" in names and "broken" not in names
    assert "broken.yaml:3: field 'bogus': unknown field 'bogus'" in err


@pytest.mark.parametrize(
    ("param", "words"),
    [
        ("tasks=9", ("'tasks'", "1..8")),
        ("tasks=x", ("'tasks'", "integer")),
        ("mode=c", ("'mode'", "one of: a, b")),
        ("nope=1", ("'nope'", "tasks, mode")),
        ("tasks", ("NAME=VALUE",)),
    ],
)
def test_bad_param_exits_2_with_the_allowed_values(
    user_presets: Path, capsys: pytest.CaptureFixture[str], param: str, words: tuple[str, ...]
) -> None:
    assert main(["submit", "mine", "-p", param]) == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err


def test_unknown_preset_exits_2(user_presets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["submit", "nothing-here"]) == 2
    assert "no preset 'nothing-here'" in capsys.readouterr().err
