"""The TUI process never imports ray; the core never imports Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return set(out.split())


def test_app_and_cli_do_not_import_ray() -> None:
    modules = imported_after(
        "import sovtui.cli, sovtui.tui.app, sovtui.cli.run_tui, sovtui.cluster.connect"
    )
    assert "textual" in modules  # the app really was imported
    assert "ray" not in modules
    assert not any(name.startswith("ray.") for name in modules)


def test_core_does_not_import_textual() -> None:
    modules = imported_after(
        "import sovtui.ray_api.client, sovtui.cluster.connect, sovtui.settings.sources, "
        "sovtui.cluster.embedded_head"
    )
    assert "textual" not in modules
    assert "ray" not in modules


def test_import_linter_contracts_hold() -> None:
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
