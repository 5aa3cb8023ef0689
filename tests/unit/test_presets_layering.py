"""The preset, jobs and log modules (and their commands) import neither ray nor textual."""

from __future__ import annotations

import subprocess
import sys

MODULES = (
    "sovtui.presets.loader",
    "sovtui.presets.argv",
    "sovtui.presets.launch",
    "sovtui.ray_api.jobs",
    "sovtui.ray_api.logs",
    "sovtui.ray_api.packages",
    "sovtui.cli.presets",
    "sovtui.cli.submit",
    "sovtui.cli.jobs",
)


def test_no_ray_no_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in ('ray', 'textual') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
