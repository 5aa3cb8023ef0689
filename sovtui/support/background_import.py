"""Importing a large module from inside a running event loop without freezing it."""

from __future__ import annotations

import asyncio
import importlib
from types import ModuleType

# Modules this helper has seen fully imported. Not sys.modules: a module is put there as its
# import starts, so a second caller would get it half-initialised while a thread imports it.
_imported: dict[str, ModuleType] = {}


async def import_off_loop(name: str) -> ModuleType:
    """The module `name`; its first import runs in a thread, so the loop keeps serving (and
    the UI keeps drawing) meanwhile. Later calls are a dictionary lookup."""
    module = _imported.get(name)
    if module is None:
        # import_module waits on the module's import lock if another thread is importing it.
        module = await asyncio.to_thread(importlib.import_module, name)
        _imported[name] = module
    return module
