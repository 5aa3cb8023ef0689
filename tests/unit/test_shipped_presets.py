"""The presets in configs/presets/ are valid, and their params are flags their workloads accept.

The workload programs come from another branch; until they are merged the flag check skips the
missing ones (with the reason), while the schema check runs against stand-in module files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sovtui.presets.loader import load_presets
from sovtui.presets.models import MODULE_PREFIX, Preset, default_workloads_dir
from sovtui.support import locations

EXPECTED = {
    "hello-tasks",
    "counter-actor",
    "shared-data",
    "parallel-speedup",
    "sort-bench",
    "train-bench",
}
FLAG = re.compile(r"""add_argument\(\s*["'](--[A-Za-z0-9-]+)["']""")


def _modules() -> set[str]:
    names = set()
    for path in locations.shipped_presets_dir().glob("*.yaml"):
        module = (yaml.safe_load(path.read_text()).get("workload") or {}).get("module")
        if module:
            names.add(module[len(MODULE_PREFIX) :])
    return names


def _load_with_stand_ins(tmp_path: Path) -> list[Preset]:
    for name in _modules():
        (tmp_path / f"{name}.py").write_text("")
    result = load_presets(user_dir=tmp_path / "no-user-presets", workloads_dir=tmp_path)
    assert result.failures == [], [str(f) for f in result.failures]
    return result.presets


def test_shipped_presets_are_valid(tmp_path: Path) -> None:
    names = {preset.name for preset in _load_with_stand_ins(tmp_path)}
    assert names == EXPECTED


def _flags_of(module_file: Path) -> set[str]:
    flags = set(FLAG.findall(module_file.read_text()))
    common = module_file.with_name("_common.py")  # shared options (add_ray_options)
    if common.exists():
        flags |= set(FLAG.findall(common.read_text()))
    return flags


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_preset_params_are_flags_of_the_workload(name: str, tmp_path: Path) -> None:
    preset = next(p for p in _load_with_stand_ins(tmp_path) if p.name == name)
    assert preset.workload.module is not None
    module_file = default_workloads_dir() / f"{preset.workload.module[len(MODULE_PREFIX) :]}.py"
    if not module_file.exists():
        pytest.skip(f"{module_file.name} is not in this branch yet")
    flags = _flags_of(module_file)
    missing = [p.option for p in preset.params if p.option not in flags]
    assert missing == [], f"{module_file.name} has no {missing}; it has {sorted(flags)}"
