"""Read a big `/events` answer one event per call, so a thread parsing it never holds the GIL
for long (10,000 events: ~7 MB, ~80 ms in one `validate_json`, a frozen frame).

`/events` is `{"result": ..., "msg": ..., "data": {"events": {group: [event, ...], ...}}}`
and Ray 2.60 offers no limit for it. Here only the groups' layout is walked by hand; each
event, and each group name, is decoded by the json module's C scanner, one short call each.
Anything unexpected returns None: the caller then validates the body whole.
"""

from __future__ import annotations

import json
import re
from typing import Any

_EVENTS = re.compile(r'"events"\s*:\s*\{')
_BLANK = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()


class _Layout(Exception):
    """The body is not laid out as expected."""


def _skip(text: str, position: int) -> int:
    match = _BLANK.match(text, position)
    return match.end() if match else position


def _expect(text: str, position: int, characters: str) -> tuple[str, int]:
    position = _skip(text, position)
    if position >= len(text) or text[position] not in characters:
        raise _Layout
    return text[position], position + 1


def event_groups(content: bytes) -> dict[str, list[dict[str, Any]]] | None:
    """The `data.events` groups as plain dicts, or None when the body is laid out otherwise
    (or is not JSON: the caller's whole parse then says what is wrong)."""
    try:
        text = content.decode("utf-8")
        found = _EVENTS.search(text)
        if found is None:
            return None
        return _groups(text, found.end())
    except (_Layout, ValueError):
        return None


def _groups(text: str, position: int) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    position = _skip(text, position)
    if text.startswith("}", position):
        return groups
    while True:
        _, position = _expect(text, position, '"')
        name, position = _DECODER.raw_decode(text, position - 1)
        _, position = _expect(text, position, ":")
        _, position = _expect(text, position, "[")
        events: list[dict[str, Any]] = []
        position = _skip(text, position)
        if text.startswith("]", position):
            position += 1
        else:
            while True:
                event, position = _DECODER.raw_decode(text, _skip(text, position))
                if not isinstance(event, dict):
                    raise _Layout
                events.append(event)
                separator, position = _expect(text, position, ",]")
                if separator == "]":
                    break
        groups[str(name)] = events
        separator, position = _expect(text, position, ",}")
        if separator == "}":
            return groups
