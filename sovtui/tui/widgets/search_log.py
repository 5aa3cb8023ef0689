"""A Log that keeps the most recent lines, highlights every match of a search and jumps
between the lines holding one.

Memory stays bounded whatever a job prints: past `max_lines` the oldest lines go, and the
first line says how many ("N earlier lines not shown"). Lines are cluster text: their ANSI
colours (SGR) become Rich styles, every other escape sequence is dropped and controls made
visible before they are stored (Textual's Log only replaces U+0000-U+0014, and passes ESC
through to the terminal). With `wrap_width` set, a long line is stored as several rows of that
width (the cap counts rows).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Span, Text
from textual.geometry import Size

if TYPE_CHECKING:
    from rich.console import Console

from sovtui.tui.textual_hacks import LineStyledLog, forget_rendered_lines, log_line_store
from sovtui.tui.widgets.plain import ansi_line

DEFAULT_MAX_LINES = 50_000


class MatchHighlighter(Highlighter):
    """The line's own colours (its ANSI styles, by line index), then the matches."""

    def __init__(self, pattern: re.Pattern[str] | None, log: SearchLog | None = None) -> None:
        self.pattern = pattern
        self.log = log

    def highlight(self, text: Text) -> None:
        log = self.log
        if log is not None:
            y = log.styling_line
            spans = log.line_styles[y] if 0 <= y < len(log.line_styles) else None
            if spans:
                text.spans.extend(spans)
        if self.pattern is not None:
            text.highlight_regex(self.pattern, style="black on yellow")


def compile_query(query: str, *, regex: bool = False) -> re.Pattern[str] | None:
    """Case-insensitive; a regex when asked for and it compiles, else the literal text."""
    if not query:
        return None
    if regex:
        try:
            return re.compile(query, re.IGNORECASE)
        except re.error:
            pass
    return re.compile(re.escape(query), re.IGNORECASE)


def hidden_line(count: int) -> str:
    return f"… {count:,} earlier line{'s' * (count != 1)} not shown (w saves the whole log)"


def styled_rows(lines: list[str], wrap_width: int, console: Console) -> list[Text]:
    """Each line as safe styled Text, cut into rows of `wrap_width` cells when it is > 0."""
    rows: list[Text] = []
    for line in lines:
        text = ansi_line(line)
        if wrap_width > 0 and text.cell_len > wrap_width:
            text.no_wrap = False
            rows.extend(text.wrap(console, wrap_width, overflow="fold"))
        else:
            rows.append(text)
    return rows


class SearchLog(LineStyledLog):
    """Follows the end while nothing is searched; a search stops the following.

    Line numbers (`matches`, `jump`) count the lines on screen, the "not shown" line included.
    """

    def __init__(self, *, max_lines: int = DEFAULT_MAX_LINES, **kwargs: object) -> None:
        super().__init__(highlight=True, **kwargs)  # type: ignore[arg-type]
        self.highlighter = MatchHighlighter(None, self)
        # The ANSI styles of each stored line (None: none), index for index with `lines`.
        self.line_styles: list[list[Span] | None] = []
        self.wrap_width = 0  # > 0: long lines are cut into rows this wide
        self.keep = max(1, max_lines)
        self.hidden = 0  # lines dropped from the top (or never kept)
        self.total = 0  # lines received
        self.matches: list[int] = []
        self.current = -1

    @property
    def _first_kept(self) -> int:
        return 1 if self.hidden else 0

    @property
    def all_lines(self) -> Sequence[str]:
        """The log lines kept (the "not shown" line excluded)."""
        return self.lines[self._first_kept :]

    def tail(self, count: int) -> list[str]:
        return list(self.lines[max(self._first_kept, len(self.lines) - count) :])

    def add_lines(self, lines: list[str], *, skipped: int = 0) -> None:
        """Append `lines`; `skipped` earlier lines were left out by the caller."""
        self.total += skipped + len(lines)
        if len(lines) > self.keep:
            skipped += len(lines) - self.keep
            lines = lines[-self.keep :]
        rows = styled_rows(lines, self.wrap_width, self.app.console)
        lines = [row.plain for row in rows]
        self.line_styles.extend(
            [span for span in row.spans if isinstance(span.style, Style)] or None for row in rows
        )
        start = len(self.lines)
        pattern = self._pattern
        if pattern is not None:
            self.matches.extend(start + i for i, line in enumerate(lines) if pattern.search(line))
        self.write_lines(lines)
        excess = len(self.lines) - self._first_kept - self.keep
        if excess > 0 or skipped:
            self._drop_oldest(max(0, excess), skipped)

    def _drop_oldest(self, count: int, skipped: int) -> None:
        had_line = bool(self.hidden)
        start = self._first_kept
        store = log_line_store(self)
        del store[start : start + count]
        del self.line_styles[start : start + count]
        self.hidden += count + skipped
        if had_line:
            store[0] = hidden_line(self.hidden)
            shift = count
        else:
            store.insert(0, hidden_line(self.hidden))
            self.line_styles.insert(0, None)
            shift = count - 1
        if shift:
            before = len(self.matches)
            self.matches = [y - shift for y in self.matches if y - shift >= 1]
            self.current = max(-1, self.current - (before - len(self.matches)))
            if not self.auto_scroll:  # keep the lines being read in place
                self.scroll_to(y=max(0, self.scroll_y - shift), animate=False)
        forget_rendered_lines(self)
        self.virtual_size = Size(self.virtual_size.width, len(store))
        self.refresh()

    def release(self) -> None:
        """Free the lines now (a dismissed screen may live on until the cyclic GC runs)."""
        log_line_store(self).clear()
        self.line_styles = []
        forget_rendered_lines(self)
        self.matches = []
        self.hidden = self.total = 0

    def clear(self) -> SearchLog:
        self.line_styles = []
        self.hidden = 0
        super().clear()
        return self

    def on_unmount(self) -> None:
        self.release()

    @property
    def _pattern(self) -> re.Pattern[str] | None:
        highlighter = self.highlighter
        return highlighter.pattern if isinstance(highlighter, MatchHighlighter) else None

    def search(self, query: str, *, regex: bool = False) -> int:
        """Highlight `query` (case-insensitive, literal unless `regex` and it compiles);
        returns how many lines match."""
        pattern = compile_query(query, regex=regex)
        self.highlighter = MatchHighlighter(pattern, self)
        first = self._first_kept
        self.matches = (
            [y for y in range(first, len(self.lines)) if pattern.search(self.lines[y])]
            if pattern
            else []
        )
        self.current = -1
        self.auto_scroll = pattern is None
        forget_rendered_lines(self)
        self.refresh()
        if pattern is None:
            self.scroll_end(animate=False)
        return len(self.matches)

    def jump(self, step: int = 1) -> int | None:
        """Go to the next (step 1) or previous (-1) matching line; returns its index."""
        if not self.matches:
            return None
        self.current = (self.current + step) % len(self.matches)
        line = self.matches[self.current]
        self.scroll_to(y=max(0, line - self.scrollable_content_region.height // 2), animate=False)
        return line
