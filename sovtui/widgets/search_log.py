"""A Log that highlights every match of a search and jumps between the lines holding one."""

from __future__ import annotations

import re

from rich.highlighter import Highlighter
from rich.text import Text
from textual.widgets import Log


class MatchHighlighter(Highlighter):
    def __init__(self, pattern: re.Pattern[str] | None) -> None:
        self.pattern = pattern

    def highlight(self, text: Text) -> None:
        if self.pattern is not None:
            text.highlight_regex(self.pattern, style="black on yellow")


class SearchLog(Log):
    """Follows the end while nothing is searched; a search stops the following."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(highlight=True, **kwargs)  # type: ignore[arg-type]
        self.highlighter = MatchHighlighter(None)
        self.all_lines: list[str] = []
        self.matches: list[int] = []
        self.current = -1

    def add_lines(self, lines: list[str]) -> None:
        start = len(self.all_lines)
        self.all_lines.extend(lines)
        pattern = self._pattern
        if pattern is not None:
            self.matches.extend(start + i for i, line in enumerate(lines) if pattern.search(line))
        self.write_lines(lines)

    @property
    def _pattern(self) -> re.Pattern[str] | None:
        highlighter = self.highlighter
        return highlighter.pattern if isinstance(highlighter, MatchHighlighter) else None

    def search(self, query: str) -> int:
        """Highlight `query` (case-insensitive, literal); returns how many lines match."""
        pattern = re.compile(re.escape(query), re.IGNORECASE) if query else None
        self.highlighter = MatchHighlighter(pattern)
        self.matches = (
            [i for i, line in enumerate(self.all_lines) if pattern.search(line)] if pattern else []
        )
        self.current = -1
        self.auto_scroll = pattern is None
        self._render_line_cache.clear()
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
