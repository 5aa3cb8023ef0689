"""Optional parts of sovtui: which extra brings which import, and the one line that says so.

The base install is the TUI and the REST client; a feature whose extra is missing explains
itself in one line (exit 2 on the command line) instead of a traceback.
"""

from __future__ import annotations

import importlib.util

# Top-level import name -> the extra that installs it.
EXTRA_FOR_MODULE: dict[str, str] = {
    "docker": "docker",
    "ray": "local",
    "numpy": "local",
    "torch": "train",
    "sklearn": "train",
    "psutil": "bench",
}


class MissingExtra(Exception):
    """A feature needs an optional dependency that is not installed."""


def missing_extra_message(module: str, feature: str) -> str:
    extra = EXTRA_FOR_MODULE.get(module.partition(".")[0], "all")
    return (
        f"{feature} needs the '{extra}' extra ({module} is not installed): "
        f"pip install 'sovtui[{extra}]'"
    )


def extra_for_import_error(error: ImportError) -> str | None:
    """The extra to install for this failed import, or None when it is not an optional part."""
    name = (getattr(error, "name", None) or "").partition(".")[0]
    return EXTRA_FOR_MODULE.get(name)


def require(module: str, feature: str) -> None:
    """Raise MissingExtra when `module` cannot be imported here (nothing is imported)."""
    if importlib.util.find_spec(module) is None:
        raise MissingExtra(missing_extra_message(module, feature))
