"""import_off_loop: a big import runs in a thread, and every caller gets the finished module."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from sovtui.support.background_import import import_off_loop


def test_concurrent_callers_never_see_a_half_imported_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sovtui_slow_module.py").write_text("import time\ntime.sleep(0.3)\nLOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "sovtui_slow_module", raising=False)

    async def loaded_when_returned() -> list[bool]:
        async def one() -> bool:
            module = await import_off_loop("sovtui_slow_module")
            return bool(getattr(module, "LOADED", False))  # as the caller gets it

        first = asyncio.create_task(one())
        while "sovtui_slow_module" not in sys.modules:  # until the first import is under way
            await asyncio.sleep(0.001)
        second = await one()
        return [await first, second]

    assert asyncio.run(loaded_when_returned()) == [True, True]
    monkeypatch.delitem(sys.modules, "sovtui_slow_module", raising=False)
