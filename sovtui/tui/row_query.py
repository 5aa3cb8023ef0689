"""Filtering and sorting a resource table's rows, without Textual (unit-testable).

`/` filters: a substring (case-insensitive), a regex when the text compiles as one, and a
leading `!` inverts the match. Sorting: by any column's sort key, blanks last.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RowFilter:
    text: str = ""

    @property
    def inverted(self) -> bool:
        return self.text.startswith("!")

    @property
    def pattern(self) -> str:
        return self.text[1:] if self.inverted else self.text

    @property
    def active(self) -> bool:
        return bool(self.pattern)

    def _compiled(self) -> re.Pattern[str]:
        try:
            return re.compile(self.pattern, re.IGNORECASE)
        except re.error:  # not a regex: the text itself
            return re.compile(re.escape(self.pattern), re.IGNORECASE)

    def matcher(self) -> Any:
        """A function of a row's text: True when the row is kept."""
        if not self.active:
            return lambda _text: True
        compiled = self._compiled()
        if self.inverted:
            return lambda text: compiled.search(text) is None
        return lambda text: compiled.search(text) is not None


def row_text(values: Sequence[Any]) -> str:
    """What `/` searches: every cell's plain text, tab-separated."""
    return "\t".join(str(getattr(value, "plain", value)) for value in values)


def sort_key(value: Any) -> tuple[int, Any]:
    """Numbers before text, blanks last; text case-insensitive."""
    if value is None or value == "":
        return (2, "")
    if isinstance(value, bool):
        return (1, str(value).lower())
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(getattr(value, "plain", value)).lower())


def sort_choice(
    current: int | None, reverse: bool, chosen: int | None, *, descending: bool = False
) -> tuple[int | None, bool]:
    """The sort after a pick in the sort menu: the column sorted already flips its direction,
    another column sorts ascending (descending when asked), None is Ray's order."""
    if chosen is None:
        return None, False
    if descending:
        return chosen, True
    if chosen == current:
        return chosen, not reverse
    return chosen, False
