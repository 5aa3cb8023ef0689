"""Read a big `/events` answer in short calls, so a thread parsing it never holds the GIL for
long (10,000 events: ~7 MB, ~80 ms in one `validate_json`, a frozen frame), and pick the newest
events without building the rest.

`/events` is `{"result": ..., "msg": ..., "data": {"events": {group: [event, ...], ...}}}`
and Ray 2.60 offers no limit for it. Here only the groups' layout is walked by hand; a group's
events are decoded by the json module's C scanner in slices of ~256 KiB (one `json.loads` of
whole events each, cut where the first key of the group's first event starts an event), the
rest one event per call. Anything unexpected returns None: the caller then validates the body
whole.

Cutting is safe the way list_parse's is: the marker (`{"eventId":`) cannot occur inside a JSON
string, and a cut anywhere but between two events of the array leaves a slice that is not one
JSON array of objects, which is refused; the events from there on are then read one by one.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from typing import Any

_EVENTS = re.compile(r'"events"\s*:\s*\{')
_BLANK = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()
SLICE_CHARS = 256 * 1024  # ~1 ms of the C scanner: the GIL is let go between slices

Raw = dict[str, Any]


class _Layout(Exception):
    """The body is not laid out as expected."""


def event_time(value: Any) -> float | None:
    """Ray's event timestamps: seconds as a string or a number, sometimes ms or ns."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None  # "inf" would never shrink below 1e11; "nan" sorts nowhere
    while number > 1e11:  # milliseconds, microseconds or nanoseconds since the epoch
        number /= 1000.0
    return number


def _skip(text: str, position: int) -> int:
    match = _BLANK.match(text, position)
    return match.end() if match else position


def _expect(text: str, position: int, characters: str) -> tuple[str, int]:
    position = _skip(text, position)
    if position >= len(text) or text[position] not in characters:
        raise _Layout
    return text[position], position + 1


def event_groups(content: bytes, size: int = SLICE_CHARS) -> dict[str, list[Raw]] | None:
    """The `data.events` groups as plain dicts, or None when the body is laid out otherwise
    (or is not JSON: the caller's whole parse then says what is wrong)."""
    try:
        text = content.decode("utf-8")
        found = _EVENTS.search(text)
        if found is None:
            return None
        return _groups(text, found.end(), size)
    except (_Layout, ValueError):
        return None


def _groups(text: str, position: int, size: int) -> dict[str, list[Raw]]:
    groups: dict[str, list[Raw]] = {}
    position = _skip(text, position)
    if text.startswith("}", position):
        return groups
    while True:
        _, position = _expect(text, position, '"')
        name, position = _DECODER.raw_decode(text, position - 1)
        _, position = _expect(text, position, ":")
        _, position = _expect(text, position, "[")
        events, position = _array(text, position, size)
        groups[str(name)] = events
        separator, position = _expect(text, position, ",}")
        if separator == "}":
            return groups


def _marker(text: str, position: int) -> str | None:
    """`{"eventId":` as the event at `position` starts (its spacing included), or None."""
    if not text.startswith("{", position):
        return None
    key = _skip(text, position + 1)
    if not text.startswith('"', key):
        return None
    end = text.find('"', key + 1)
    if end < 0 or "\\" in text[key:end]:
        return None
    return text[position : end + 1] + ":"


def _array(text: str, position: int, size: int) -> tuple[list[Raw], int]:
    """The events of one group (`position`: just past its `[`) and the position past its `]`."""
    events: list[Raw] = []
    position = _skip(text, position)
    if text.startswith("]", position):
        return events, position + 1
    marker = _marker(text, position)
    while True:
        found = -1 if marker is None else text.find(marker, position + size)
        if found >= 0:
            decoded = _slice(text[position:found])
            if decoded is not None:
                events += decoded
                position = found
                continue
        # One by one: past the cut that did not fit (then slices again), or to the array's end.
        while True:
            event, position = _DECODER.raw_decode(text, _skip(text, position))
            if not isinstance(event, dict):
                raise _Layout
            events.append(event)
            separator, position = _expect(text, position, ",]")
            if separator == "]":
                return events, position
            if 0 <= found < position:
                break


def _slice(piece: str) -> list[Raw] | None:
    """The events of `piece` (whole events, each followed by a comma), or None when the cut
    is not between two events of the array (it is past the array, or inside an event)."""
    piece = piece.rstrip(" \t\r\n")
    if not piece.endswith(","):
        return None
    try:
        decoded = json.loads("[" + piece[:-1] + "]")
    except ValueError:
        return None
    if not all(type(event) is dict for event in decoded):
        raise _Layout
    return list(decoded)


def newest(groups: dict[str, list[Raw]], limit: int | None) -> list[tuple[str | None, Raw]]:
    """(the group's job id, None for "global"; the event) of the newest `limit` events (all
    when None), oldest first, in the order a stable sort by time gives (no time: last).
    Only the timestamps of the others are read."""
    flat: list[tuple[str | None, Raw]] = []
    keys: list[float] = []  # the time, infinity for none (event_time is never infinite)
    for group, raws in groups.items():
        job = None if group == "global" else group
        flat += [(job, raw) for raw in raws]
        keys += [_sort_time(raw) for raw in raws]
    order = sorted(range(len(flat)), key=keys.__getitem__)  # stable: ties keep their order
    chosen = order if limit is None else order[max(0, len(order) - limit) :]
    return [flat[index] for index in chosen]


def _sort_time(raw: Raw) -> float:
    stamp = event_time(raw.get("timestamp"))
    return math.inf if stamp is None else stamp


# -- the newest events without decoding the rest ------------------------------------------------

# An event's first key: Ray 2.60 writes "eventId" first, or (sources that sort their keys)
# "customFields", the first of them in order.
_EVENT_KEYS = "eventId|customFields"
_OBJECT = re.compile(r'\{[ \t\r\n]*"(?:' + _EVENT_KEYS + r')"[ \t\r\n]*:')
# A group's key: "global" or a job's hex id (Ray 2.60's event head groups by customFields job_id).
_GROUP_KEY = re.compile(r"global|[0-9a-fA-F]{2,64}")
_HEADER = re.compile(r'(?:\{|\][ \t\r\n]*,)[ \t\r\n]*"([^"\\]*)"[ \t\r\n]*:[ \t\r\n]*$')
_TIME = re.compile(r'"timestamp"[ \t\r\n]*:[ \t\r\n]*("[^"\\]*"|[-+0-9.eE]+|null)')
_HEADER_REACH = 200  # characters before a group's `[` that hold its key
Kept = list[tuple[str | None, Raw]]  # (the group's job id, None for "global"; the event)


def newest_by_pattern(content: bytes, limit: int) -> tuple[Kept, int] | None:
    """What `newest(event_groups(content), limit)` gives, with the count of all events, while
    decoding only the events kept (10,000 events: ~20 ms instead of ~30-45).

    An event starts where an object whose first key is `eventId` (or `customFields`, where
    the keys are sorted) follows the group's `[` or a `,`. Its time is its `"timestamp":`; an
    event with more than one (another inside its customFields) is decoded to read its own.
    Every event kept is decoded and checked to end where the next one (or its group) starts
    and to carry the time read. Anything that does not fit (an object inside an event that
    starts like one, a group key that is not a job id, a time that differs) returns None, as
    does a `limit` over half the events: the caller then decodes every event, in slices."""
    try:
        text = content.decode()
    except UnicodeDecodeError:
        return None
    found = _EVENTS.search(text)
    if found is None:
        return None
    layout = _starts(text, found.end())
    if layout is None:
        return None
    starts, groups = layout
    if limit * 2 > len(starts):
        return None  # most events kept: decoding them all in slices is quicker
    times = _times(text, starts)
    if times is None:
        return None
    order = sorted(range(len(starts)), key=times.__getitem__)  # stable, like `newest`
    kept: Kept = []
    for index in order[max(0, len(order) - limit) :]:
        raw = _decoded(text, index, starts, groups)
        if raw is None or _sort_key(raw) != times[index]:
            return None
        group = groups[index]
        kept.append((None if group == "global" else group, raw))
    return kept, len(starts)


def _starts(text: str, events_at: int) -> tuple[list[int], list[str]] | None:
    """Every event's start and its group's key, or None when an object that starts like an
    event is not an element of a group's array (inside an event, or a group key that is not a
    job id): then the starts found are not the answer's events."""
    starts: list[int] = []
    groups: list[str] = []
    group = ""
    for match in _OBJECT.finditer(text, events_at):
        before = match.start() - 1
        while text[before] in " \t\r\n":
            before -= 1
        if text[before] == "[":
            header = _HEADER.search(text, max(events_at - 2, before - _HEADER_REACH), before)
            if header is None or not _GROUP_KEY.fullmatch(header.group(1)):
                return None
            group = header.group(1)
        elif text[before] != "," or not group:
            return None
        starts.append(match.start())
        groups.append(group)
    return (starts, groups) if starts else None


def _sort_key(raw: Raw) -> float:
    stamp = event_time(raw.get("timestamp"))
    return math.inf if stamp is None else stamp  # no time: last, as `newest` sorts


def _times(text: str, starts: list[int]) -> list[float] | None:
    """Each event's sort key, from the `"timestamp":` between its start and the next's; an
    event with several (one inside its customFields) is decoded for its own."""
    times = [math.inf] * len(starts)
    seen = [False] * len(starts)
    again: list[int] = []
    for match in _TIME.finditer(text, starts[0]):
        index = bisect.bisect_right(starts, match.start()) - 1
        if seen[index]:
            again.append(index)
            continue
        seen[index] = True
        value = match.group(1)
        stamp = None if value == "null" else event_time(value.strip('"'))
        times[index] = math.inf if stamp is None else stamp
    for index in again:
        try:
            raw, _ = _DECODER.raw_decode(text, starts[index])
        except ValueError:
            return None
        if type(raw) is not dict:
            return None
        times[index] = _sort_key(raw)
    return times


def _decoded(text: str, index: int, starts: list[int], groups: list[str]) -> Raw | None:
    """The event at `starts[index]`, when it ends where the next event or its group does."""
    try:
        raw, end = _DECODER.raw_decode(text, starts[index])
        separator, end = _expect(text, end, ",]")
    except (_Layout, ValueError):
        return None
    if type(raw) is not dict:
        return None
    following = index + 1 < len(starts) and groups[index + 1] == groups[index]
    if separator == "," and not (following and _skip(text, end) == starts[index + 1]):
        return None
    if separator == "]" and following:
        return None
    return raw
