"""Cluster text as Rich `Text`: never parsed as markup, never carrying a terminal control.

Textual parses a `str` as markup almost everywhere (Static, DataTable cells, border titles,
Rich tables), so `[/x]` in a job's entrypoint would raise; `Text` is taken as it is.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text

from sovtui.support.safe_text import strip_escapes, visible


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


def ansi_line(line: str) -> Text:
    """One log line with its ANSI colours as Rich styles, and nothing else of the terminal's:
    every escape sequence but SGR is dropped whole, the SGR ones become styles, and the text of
    every span is then made visible (no control character survives), tabs expanded."""
    if line.isprintable():
        return Text(line)
    line = strip_escapes(line, keep_sgr=True)
    if "\r" in line:  # a progress bar: what a terminal would end up showing
        stripped = line.rstrip("\r")
        line = stripped[stripped.rfind("\r") + 1 :]
    decoded = Text.from_ansi(line) if "\x1b" in line else Text(line)
    if decoded.plain.isprintable():
        return decoded
    if not decoded.spans:
        return Text(visible(decoded.plain).expandtabs())
    cuts = sorted({offset for span in decoded.spans for offset in (span.start, span.end)})
    result = Text()
    for piece in decoded.divide(cuts):
        styles = [
            Style.parse(s) if isinstance(s, str) else s for s in (x.style for x in piece.spans)
        ]
        result.append(visible(piece.plain), style=Style.combine(styles) if styles else None)
    if "\t" in result.plain:
        result.expand_tabs()
    return result
