"""Validated settings and themes are remembered by their exact inputs, and only by those."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sovtui.settings.validation
from sovtui.settings.model import ConfigError
from sovtui.settings.sources import load_settings
from sovtui.tui.themes import load_themes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "sovtui"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the real pydantic validations load_settings asks for."""
    calls: list[int] = []
    real = sovtui.settings.validation.validate_sources

    def counting(sources: list[sovtui.settings.sources.Source]) -> dict[str, object]:
        calls.append(len(sources))
        return real(sources)

    monkeypatch.setattr(sovtui.settings.validation, "validate_sources", counting)
    return calls


def test_unchanged_sources_are_validated_once(
    tmp_path: Path, cache_home: Path, validations: list[int]
) -> None:
    user = tmp_path / "sovtui.yaml"
    user.write_text("interval: 5\n")
    first = load_settings(user_file=user, environ={"SOVTUI_EMBEDDED__NUM_CPUS": "2"})
    again = load_settings(user_file=user, environ={"SOVTUI_EMBEDDED__NUM_CPUS": "2"})
    assert first == again
    assert again.interval == 5.0 and again.embedded.num_cpus == 2
    assert len(validations) == 1
    assert (cache_home / "validated-settings.json").is_file()


@pytest.mark.parametrize(
    "change",
    ["file", "environment", "command line"],
)
def test_any_changed_source_is_validated_again(
    tmp_path: Path, cache_home: Path, validations: list[int], change: str
) -> None:
    user = tmp_path / "sovtui.yaml"
    user.write_text("interval: 5\n")
    load_settings(user_file=user, environ={})
    environ: dict[str, str] = {}
    overrides: dict[str, object] = {}
    if change == "file":
        user.write_text("interval: 6\n")
    elif change == "environment":
        environ["SOVTUI_INTERVAL"] = "6"
    else:
        overrides["interval"] = 6.0
    settings = load_settings(user_file=user, environ=environ, overrides=overrides)
    assert settings.interval == 6.0
    assert len(validations) == 2


def test_a_bad_value_is_reported_every_time_even_after_a_good_one(
    tmp_path: Path, cache_home: Path
) -> None:
    user = tmp_path / "sovtui.yaml"
    user.write_text("interval: 5\n")
    load_settings(user_file=user, environ={})
    user.write_text("interval: 0\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match="interval"):
            load_settings(user_file=user, environ={})


def test_a_corrupt_cache_is_ignored_and_rewritten(tmp_path: Path, cache_home: Path) -> None:
    cache_home.mkdir(parents=True)
    (cache_home / "validated-settings.json").write_text("{not json")
    assert load_settings(environ={}).interval == 2.0
    assert (cache_home / "validated-settings.json").read_text().startswith("{")


def test_a_broken_theme_is_reported_from_the_cache_too(tmp_path: Path, cache_home: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: odd\nprimary: not-a-colour\n")
    for _ in range(2):
        loaded = load_themes([tmp_path])
        assert [f.path.name for f in loaded.failures] == ["bad.yaml"]
        assert "not a colour" in loaded.failures[0].reason


def test_an_unchanged_start_does_not_import_pydantic_or_yaml(tmp_path: Path) -> None:
    """What keeps start-up fast: the second start reads both verdicts from the cache."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    code = (
        "import sys\n"
        "from sovtui.settings.sources import load_settings\n"
        "from sovtui.tui.themes import load_themes\n"
        "assert load_themes().themes and not load_themes().failures\n"
        "load_settings()\n"
        "print(sorted({'pydantic', 'yaml'} & set(sys.modules)))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert runs[0].stdout.strip() == "['pydantic', 'yaml']"  # first start: validated
    assert runs[1].stdout.strip() == "[]"


def test_the_cache_is_keyed_by_a_digest_and_does_not_grow_with_the_config(
    tmp_path: Path, cache_home: Path
) -> None:
    """Each edit of a big config used to add the whole config text to the cache file."""
    user = tmp_path / "sovtui.yaml"
    padding = "# " + "x" * 200_000 + "\n"  # a big but valid file (comments)
    sizes = []
    for interval in range(3, 9):
        user.write_text(padding + f"interval: {interval}\n")
        assert load_settings(user_file=user, environ={}).interval == interval
        sizes.append((cache_home / "validated-settings.json").stat().st_size)
    assert max(sizes) < 16_000, sizes
    entries = json.loads((cache_home / "validated-settings.json").read_text())
    assert len(entries) == 6
    assert all(len(key) == 40 and int(key, 16) >= 0 for key in entries)  # 160-bit hex digests


def test_the_cache_keeps_only_the_newest_entries(tmp_path: Path, cache_home: Path) -> None:
    from sovtui.settings.verdicts import ENTRY_LIMIT

    user = tmp_path / "sovtui.yaml"
    for history in range(10, 10 + ENTRY_LIMIT + 5):
        user.write_text(f"history_points: {history}\n")
        load_settings(user_file=user, environ={})
    entries = json.loads((cache_home / "validated-settings.json").read_text())
    assert len(entries) == ENTRY_LIMIT
    assert list(entries.values())[-1]["history_points"] == 10 + ENTRY_LIMIT + 4


def test_an_oversized_cache_file_is_ignored_and_replaced(tmp_path: Path, cache_home: Path) -> None:
    from sovtui.settings.verdicts import MAX_FILE_BYTES

    cache_home.mkdir(parents=True)
    cache = cache_home / "validated-settings.json"
    cache.write_text(json.dumps({"k": "v" * MAX_FILE_BYTES}))
    assert load_settings(environ={}).interval == 2.0
    assert cache.stat().st_size < MAX_FILE_BYTES
    assert "k" not in json.loads(cache.read_text())
