"""Cluster text as Rich `Text`: never parsed as markup, never carrying a terminal control.

Textual parses a `str` as markup almost everywhere (Static, DataTable cells, border titles,
Rich tables), so `[/x]` in a job's entrypoint would raise; `Text` is taken as it is.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from sovtui.support.safe_text import visible


def plain(text: str | None, style: str = "", *, multiline: bool = False) -> Text:
    """`text` shown literally: no markup, controls made visible."""
    return Text(visible(text or "", multiline=multiline), style=style)


def cell(value: Any) -> Any:
    """A table cell: a `str` becomes literal `Text`; a `Text` keeps its styles when safe."""
    if isinstance(value, str):
        return Text(visible(value))
    if isinstance(value, Text) and not value.plain.isprintable():
        safe = visible(value.plain)
        if safe != value.plain:  # only tabs otherwise; a changed length would misplace spans
            return Text(safe, style=value.style)
    return value
