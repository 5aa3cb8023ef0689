"""Validate a big State API list answer in slices, so no single call holds the GIL for long.

One `validate_json` of a 10,000-row answer holds the GIL for the whole parse (~50-150 ms):
run in a thread, it still freezes the event loop. Here the rows array is cut at row boundaries
into slices of ~256 KiB, each validated on its own call; between calls the thread lets the GIL
go, so the loop keeps drawing while a thread parses.

Cuts are found by the first key of the first row (`{"task_id":`): with its quotes unescaped it
cannot occur inside a JSON string, and a cut inside a nested object leaves a slice that is not
JSON, so validation fails and the caller parses the whole body at once: slower, never wrong.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from pydantic import TypeAdapter

SLICE_BYTES = 256 * 1024
_ROWS = b'"result": ['
_BLANK = b" \t\r\n"


def _cuts(content: bytes, size: int) -> tuple[int, list[int]] | None:
    """(index of the rows array's `[`, the offsets where each slice's first row starts)."""
    opening = content.find(_ROWS)
    if opening < 0:
        return None
    bracket = opening + len(_ROWS) - 1
    first = bracket + 1
    while first < len(content) and content[first] in _BLANK:
        first += 1
    if not content.startswith(b'{"', first):
        return None  # empty rows, or not the layout this expects
    key_end = content.find(b'"', first + 2)
    if key_end < 0:
        return None
    marker = content[first : key_end + 1] + b":"
    starts = [first]
    found = content.find(marker, first + size)
    while found >= 0:
        starts.append(found)
        found = content.find(marker, found + size)
    return bracket, starts


def sliced(
    rows: TypeAdapter[list[Any]],
    envelope: TypeAdapter[Any],
    content: bytes,
    size: int = SLICE_BYTES,
) -> tuple[Any, list[Any]] | None:
    """(the envelope with the last slice's rows, every row in order), or None when the body
    cannot be cut (small, or laid out otherwise): then validate it whole. Raises
    ValidationError when a slice is not valid (a cut inside a row, or a bad answer): the caller
    then validates it whole too, for the real error."""
    if len(content) <= size:
        return None
    cuts = _cuts(content, size)
    if cuts is None or len(cuts[1]) < 2:
        return None
    bracket, starts = cuts
    items: list[Any] = []
    for start, end in pairwise(starts):
        piece = content[start:end].rstrip(_BLANK)
        if not piece.endswith(b","):
            return None  # the cut is not between two rows of the array
        items += rows.validate_json(b"[" + piece[:-1] + b"]")
    # The last slice keeps the envelope around it: `{... "result": [` + last rows + the rest.
    last = envelope.validate_json(content[: bracket + 1] + content[starts[-1] :])
    return last, items
