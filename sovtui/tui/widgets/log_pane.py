"""The log view shared by the node log viewer and the Job screen: a SearchLog over a bounded
buffer of the lines received, each with its arrival time, shown through a filter.

- `set_filter(query, inverted=)`: keep only the lines that match (a regex when it compiles,
  else the text, case-insensitive), highlighted; inverted, the lines that do not match.
- `timestamps`: each line shown after its arrival time (HH:MM:SS).
- `wrap`: long lines cut into rows of the view's width (the SearchLog's cap counts rows).

Memory stays bounded: the buffer keeps the last `max_lines` lines, the SearchLog as many rows.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from textual import events

from sovtui.support.safe_text import strip_escapes
from sovtui.tui.widgets.plain import plain
from sovtui.tui.widgets.search_log import SearchLog, compile_query


def stamp(arrived: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(arrived))


class LogPane(SearchLog):
    def __init__(
        self, *, max_lines: int, clock: Callable[[], float], label: str = "Log", **kwargs: object
    ) -> None:
        super().__init__(max_lines=max_lines, **kwargs)
        self.clock = clock
        self.label = label  # the border title when nothing is filtered
        self.received: deque[tuple[float, str]] = deque(maxlen=self.keep)
        self.skipped = 0  # lines before the first received (left out by the caller)
        self.appended = 0  # lines received in all (the buffer keeps the last `keep`)
        self.query_text = ""
        self.inverted = False
        self.timestamps = False
        self.wrap = False
        self._partial = ""

    # -- input --------------------------------------------------------------------------------

    def receive(self, chunk: str) -> None:
        """Text as it arrives: whole lines are kept (and shown when they pass the filter)."""
        text = self._partial + chunk
        *complete, self._partial = text.split("\n")
        if complete:
            self.append([line.rstrip("\r") for line in complete])

    def flush(self) -> None:
        """The stream ended: a last line without a newline is kept too."""
        if self._partial:
            self.receive("\n")

    def append(self, lines: list[str], *, skipped: int = 0) -> None:
        """Whole lines; `skipped` earlier lines were left out by the caller."""
        now = self.clock()
        arrived = [(now, line) for line in lines]
        self.received.extend(arrived)
        self.appended += len(lines)
        self.skipped += skipped
        shown = self.shown(arrived)
        if shown or skipped:
            self.add_lines(shown, skipped=skipped if not self.query_text else 0)

    # -- what is shown ------------------------------------------------------------------------

    def shown(self, lines: Iterable[tuple[float, str]]) -> list[str]:
        pattern = compile_query(self.query_text, regex=True)
        result = []
        for arrived, line in lines:
            if pattern is not None:
                found = pattern.search(strip_escapes(line)) is not None
                if found == self.inverted:
                    continue
            result.append(f"{stamp(arrived)} {line}" if self.timestamps else line)
        return result

    def redraw(self) -> None:
        """Show the buffer again through the filter (after a change of filter or mode)."""
        self.release()
        self.clear()
        self.wrap_width = self.scrollable_content_region.width if self.wrap else 0
        dropped = self.skipped + self.appended - len(self.received)  # not in the buffer
        self.add_lines(self.shown(self.received), skipped=0 if self.query_text else dropped)
        # Highlight what matched (nothing to highlight in the lines an inverted filter keeps).
        self.search("" if self.inverted else self.query_text, regex=True)
        self.scroll_end(animate=False)
        self.auto_scroll = True
        self.border_title = plain(self.title())

    def title(self) -> str:
        if not self.query_text:
            return self.label
        how = "not matching" if self.inverted else "matching"
        count = len(self.all_lines)
        return f"{self.label} · {count:,} of {len(self.received):,} lines {how} {self.query_text!r}"

    def set_filter(self, query: str, *, inverted: bool | None = None) -> None:
        self.query_text = query
        if inverted is not None:
            self.inverted = inverted
        self.redraw()

    def toggle_timestamps(self) -> None:
        self.timestamps = not self.timestamps
        self.redraw()

    def toggle_wrap(self) -> None:
        self.wrap = not self.wrap
        self.redraw()

    def on_resize(self, event: events.Resize) -> None:
        if self.wrap and self.scrollable_content_region.width != self.wrap_width:
            self.redraw()

    def current_line(self) -> str | None:
        """The current match if one was jumped to, else the last line shown."""
        lines = self.all_lines
        if not lines:
            return None
        if self.current >= 0 and self.matches:
            return self.lines[self.matches[self.current]]
        return lines[-1]
